using Gateway.Xmpp.Negotiation.Sasl;

namespace Gateway.Tests.Negotiation.Sasl;

[Trait("Tier", "Unit")]
public sealed class KeyDerivationLimiterTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RunAsync_AllSlotsTaken_WaitsUntilOneIsFree_ThenRuns()
    {
        var limiter = new KeyDerivationLimiter(1);
        await using var held = HeldDerivationSlot.Take(limiter, Token);

        var ran = false;
        var second = limiter.RunAsync(() => ran = true, Token);

        // The slot is taken: the second derivation is queued, not run on this thread.
        Assert.False(second.IsCompleted);
        Assert.False(ran);
        Assert.Equal(1, limiter.Waiting);

        await held.DisposeAsync();
        Assert.True(await second);
        Assert.Equal(0, limiter.Waiting);
    }

    [Fact]
    public async Task RunAsync_FreeSlots_RunAtOnceUpToTheBound()
    {
        var limiter = new KeyDerivationLimiter(2);

        // Both take a slot while the other still holds its own; a third waits.
        await using var first = HeldDerivationSlot.Take(limiter, Token);
        await using var second = HeldDerivationSlot.Take(limiter, Token);
        var third = limiter.RunAsync(() => 3, Token);
        Assert.False(third.IsCompleted);

        await first.DisposeAsync();
        Assert.Equal(3, await third);
    }

    [Fact]
    public async Task RunAsync_CancelledWhileWaiting_Throws_AndTakesNoSlot()
    {
        var limiter = new KeyDerivationLimiter(1);
        await using var held = HeldDerivationSlot.Take(limiter, Token);

        using var cancel = new CancellationTokenSource();
        var ran = false;
        var waiting = limiter.RunAsync(() => ran = true, cancel.Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.AsTask());
        Assert.False(ran);
        Assert.Equal(0, limiter.Waiting);
        await held.DisposeAsync();
        Assert.Equal(7, await limiter.RunAsync(() => 7, Token));
    }

    [Fact]
    public async Task RunAsync_DerivationThrows_FreesItsSlot()
    {
        var limiter = new KeyDerivationLimiter(1);

        await Assert.ThrowsAsync<InvalidOperationException>(() => limiter.RunAsync<int>(() => throw new InvalidOperationException("boom"), Token).AsTask());

        Assert.Equal(2, await limiter.RunAsync(() => 2, Token));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Constructor_BoundBelowOne_Throws(int bound) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new KeyDerivationLimiter(bound));
}
