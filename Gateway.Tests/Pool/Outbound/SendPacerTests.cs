using Gateway.Xmpp.Pool;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Pool.Outbound;

/// <summary>
/// The pacer on its own: sends wait in line, first come first served, and each stanza the sender takes lets exactly
/// one of them in; nobody is left waiting when nothing remains to take.
/// </summary>
public sealed class SendPacerTests
{
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(2);

    private readonly FakeTimeProvider _time = new();
    private int _queued;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(2, false, 10)] // offline: queued for the next connection, whatever the queue
    [InlineData(0, true, 10)]  // pacing off
    [InlineData(2, true, 1)]   // draining, below the depth
    public void WaitForTurn_NoReasonToWait_GoesAtOnce(int depth, bool draining, int queued)
    {
        var pacer = Pacer(depth);
        pacer.SetDraining(draining);
        _queued = queued;

        Assert.True(pacer.WaitForTurnAsync(Token).IsCompleted);
    }

    [Fact]
    public async Task Taken_LetsInAsManyAsWereTaken_InTheOrderTheyCame()
    {
        var pacer = Draining(depth: 2, queued: 2);
        var sends = Enumerable.Range(0, 5).Select(_ => pacer.WaitForTurnAsync(Token)).ToArray();
        Assert.All(sends, s => Assert.False(s.IsCompleted));

        _queued = 0;
        pacer.Taken(2);

        await Task.WhenAll(sends[0], sends[1]).WaitAsync(Token);
        Assert.All(sends[2..], s => Assert.False(s.IsCompleted));

        pacer.Taken(1);
        await sends[2].WaitAsync(Token);
        Assert.False(sends[3].IsCompleted);
        Assert.False(sends[4].IsCompleted);
    }

    [Fact]
    public async Task WaitForTurn_EarlierSendsStillWait_QueuesBehindThemEvenBelowDepth()
    {
        var pacer = Draining(depth: 2, queued: 2);
        var first = pacer.WaitForTurnAsync(Token);

        _queued = 1; // the sender took one, and its call to Taken has not come yet
        var second = pacer.WaitForTurnAsync(Token);

        Assert.False(second.IsCompleted);
        pacer.Taken(1);
        await first.WaitAsync(Token);
        Assert.False(second.IsCompleted);
    }

    [Fact]
    public async Task WaitForTurn_SendsWaitAndTheQueueIsEmpty_AllGo()
    {
        var pacer = Draining(depth: 2, queued: 2);
        var waiting = pacer.WaitForTurnAsync(Token);

        // Nothing is left for the sender to take, so no Taken will come: the line must not wait for one.
        _queued = 0;
        var next = pacer.WaitForTurnAsync(Token);

        await Task.WhenAll(waiting, next).WaitAsync(Token);
    }

    [Fact]
    public async Task SetDraining_False_LetsEveryWaitingSendGo()
    {
        var pacer = Draining(depth: 1, queued: 1);
        var sends = Enumerable.Range(0, 3).Select(_ => pacer.WaitForTurnAsync(Token)).ToArray();

        pacer.SetDraining(false);

        await Task.WhenAll(sends).WaitAsync(Token);
        Assert.True(pacer.WaitForTurnAsync(Token).IsCompleted);
    }

    [Fact]
    public async Task WaitForTurn_LongerThanTheLimit_GoesAndTheLineSkipsIt()
    {
        var pacer = Draining(depth: 1, queued: 1);
        var timedOut = pacer.WaitForTurnAsync(Token);
        _time.Advance(TimeSpan.FromSeconds(1));
        var later = pacer.WaitForTurnAsync(Token);

        _time.Advance(TimeSpan.FromSeconds(1));
        await timedOut.WaitAsync(Token);
        Assert.False(later.IsCompleted);

        // The turn of the one that went without it is not spent on it.
        pacer.Taken(1);
        await later.WaitAsync(Token);
    }

    [Fact]
    public async Task WaitForTurn_CallerGoesAway_ThrowsAndTheNextTakesItsPlace()
    {
        var pacer = Draining(depth: 1, queued: 1);
        using var caller = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var leaving = pacer.WaitForTurnAsync(caller.Token);
        var staying = pacer.WaitForTurnAsync(Token);

        await caller.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaving);

        pacer.Taken(1);
        await staying.WaitAsync(Token);
    }

    [Fact]
    public async Task GaveUp_PassesTheTurnOn()
    {
        var pacer = Draining(depth: 1, queued: 1);
        var first = pacer.WaitForTurnAsync(Token);
        var second = pacer.WaitForTurnAsync(Token);
        pacer.Taken(1);
        await first.WaitAsync(Token);
        Assert.False(second.IsCompleted);

        pacer.GaveUp(); // the first one's store failed: it never entered the queue

        await second.WaitAsync(Token);
    }

    private SendPacer Pacer(int depth) => new(depth, MaxWait, _time, () => _queued);

    /// <summary>A pacer whose connection drains a queue of <paramref name="queued"/>.</summary>
    private SendPacer Draining(int depth, int queued)
    {
        var pacer = Pacer(depth);
        pacer.SetDraining(true);
        _queued = queued;
        return pacer;
    }
}
