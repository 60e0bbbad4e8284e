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
        using var inside = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var first = Task.Run(() => limiter.RunAsync(() => { inside.Set(); release.Wait(Token); return 1; }, Token).AsTask(), Token);
        inside.Wait(Token);

        var ran = false;
        var second = limiter.RunAsync(() => ran = true, Token);

        // The slot is taken: the second derivation is queued, not run on this thread.
        Assert.False(second.IsCompleted);
        Assert.False(ran);
        Assert.Equal(1, limiter.Waiting);

        release.Set();
        Assert.Equal(1, await first);
        Assert.True(await second);
        Assert.Equal(0, limiter.Waiting);
    }

    [Fact]
    public async Task RunAsync_FreeSlots_RunAtOnceUpToTheBound()
    {
        var limiter = new KeyDerivationLimiter(2);
        using var release = new ManualResetEventSlim();
        using var bothInside = new CountdownEvent(2);
        var held = Enumerable.Range(0, 2)
            .Select(i => Task.Run(() => limiter.RunAsync(() => { bothInside.Signal(); release.Wait(Token); return i; }, Token).AsTask(), Token))
            .ToArray();

        // Both ran together: each signalled while the other still held its slot.
        bothInside.Wait(Token);
        var third = limiter.RunAsync(() => 3, Token);
        Assert.False(third.IsCompleted);

        release.Set();
        var results = await Task.WhenAll(held);
        Assert.Equal([0, 1], results);
        Assert.Equal(3, await third);
    }

    [Fact]
    public async Task RunAsync_CancelledWhileWaiting_Throws_AndTakesNoSlot()
    {
        var limiter = new KeyDerivationLimiter(1);
        using var inside = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var holder = Task.Run(() => limiter.RunAsync(() => { inside.Set(); release.Wait(Token); return 0; }, Token).AsTask(), Token);
        inside.Wait(Token);

        using var cancel = new CancellationTokenSource();
        var ran = false;
        var waiting = limiter.RunAsync(() => ran = true, cancel.Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.AsTask());
        Assert.False(ran);
        Assert.Equal(0, limiter.Waiting);
        release.Set();
        await holder;
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
