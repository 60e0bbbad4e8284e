using Gateway.Xmpp.Negotiation.Sasl;

namespace Gateway.Tests.Negotiation.Sasl;

/// <summary>One of a <see cref="KeyDerivationLimiter"/>'s slots, taken by a derivation on another thread until disposed.</summary>
internal sealed class HeldDerivationSlot : IAsyncDisposable
{
    private readonly ManualResetEventSlim _release = new();
    private readonly Task _holder;
    private int _disposed;

    private HeldDerivationSlot(KeyDerivationLimiter limiter, CancellationToken cancellationToken)
    {
        using var inside = new ManualResetEventSlim();
        _holder = Task.Run(
            () => limiter.RunAsync(
                () =>
                {
                    inside.Set();
                    _release.Wait(cancellationToken);
                    return 0;
                },
                cancellationToken).AsTask(),
            cancellationToken);
        Assert.True(inside.Wait(TimeSpan.FromSeconds(10), cancellationToken), "The derivation never got a slot.");
    }

    /// <summary>Returns once the slot is taken; fails when no slot came free within 10 s.</summary>
    public static HeldDerivationSlot Take(KeyDerivationLimiter limiter, CancellationToken cancellationToken) => new(limiter, cancellationToken);

    /// <summary>Ends the derivation, which frees its slot; once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _release.Set();
        await _holder;
        _release.Dispose();
    }
}
