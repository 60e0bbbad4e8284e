using Gateway.Xmpp.Client;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Client;

[Trait("Tier", "Unit")]
public sealed class KeepAliveTickerTests
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task WaitForIdleAsync_IdleLongEnough_CompletesOnTheNextTickNotBefore()
    {
        var time = new FakeTimeProvider();
        using var ticker = new KeepAliveTicker(Period, time);

        var wait = ticker.WaitForIdleAsync(() => Interval, Interval, TestContext.Current.CancellationToken);

        Assert.False(wait.IsCompleted);
        time.Advance(Period);
        await wait.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task WaitForIdleAsync_TrafficKeepsArriving_ReleasedOneIntervalAfterTheLastTraffic()
    {
        var time = new FakeTimeProvider();
        using var ticker = new KeepAliveTicker(Period, time);
        var lastTraffic = time.GetTimestamp();

        var wait = ticker.WaitForIdleAsync(() => time.GetElapsedTime(lastTraffic), Interval, TestContext.Current.CancellationToken);
        for (var second = 1; second <= 150; second++)
        {
            time.Advance(Period);
            if (second % 10 == 0)
            {
                lastTraffic = time.GetTimestamp();
            }
        }

        Assert.False(wait.IsCompleted);
        time.Advance(Interval - Period);
        Assert.False(wait.IsCompleted);
        time.Advance(Period);
        await wait.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.Equal(0, ticker.WaitingCount);
    }

    [Fact]
    public void Tick_WaitersNotYetDue_AreNotAskedAgain()
    {
        // Ten thousand silent-but-recent connections must not cost a tick anything: each is asked when it could be due.
        var time = new FakeTimeProvider();
        using var ticker = new KeepAliveTicker(Period, time);
        var asked = 0;

        _ = ticker.WaitForIdleAsync(() => { asked++; return TimeSpan.Zero; }, Interval, TestContext.Current.CancellationToken);
        for (var second = 1; second < 60; second++)
        {
            time.Advance(Period);
        }

        Assert.Equal(1, asked);
        time.Advance(Period);
        Assert.Equal(3, asked); // due: asked, still active (it says 0), so asked once more for when it could be due next
    }

    [Fact]
    public async Task WaitForIdleAsync_ManyConnections_OnlyTheDueOnesAreReleased()
    {
        var time = new FakeTimeProvider();
        using var ticker = new KeepAliveTicker(Period, time);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

        var waits = Enumerable.Range(0, 100)
            .Select(i => ticker.WaitForIdleAsync(() => i % 2 == 0 ? Interval : TimeSpan.Zero, Interval, cts.Token))
            .ToArray();
        time.Advance(Period);

        await Task.WhenAll(waits.Where((_, i) => i % 2 == 0)).WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.All(waits.Where((_, i) => i % 2 == 1), w => Assert.False(w.IsCompleted));
        Assert.Equal(50, ticker.WaitingCount);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Task.WhenAll(waits.Where((_, i) => i % 2 == 1)));
    }

    [Fact]
    public async Task WaitForIdleAsync_Cancelled_EndsAndIsForgottenWhenItWouldHaveBeenDue()
    {
        var time = new FakeTimeProvider();
        using var ticker = new KeepAliveTicker(Period, time);
        using var cts = new CancellationTokenSource();

        var wait = ticker.WaitForIdleAsync(() => TimeSpan.Zero, Interval, cts.Token);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
        time.Advance(Interval);
        Assert.Equal(0, ticker.WaitingCount);
    }

    [Fact]
    public async Task WaitForIdleAsync_ReleasedWaiterWaitsAgain_IsReleasedByALaterTickOnly()
    {
        // A keepalive pings inline when released and then waits again, all within one tick: that tick must not release it twice.
        var time = new FakeTimeProvider();
        using var ticker = new KeepAliveTicker(Period, time);
        var releases = 0;
        var token = TestContext.Current.CancellationToken;

        var loop = Task.Run(async () =>
        {
            while (releases < 3)
            {
                await ticker.WaitForIdleAsync(() => Interval, Interval, token);
                releases++;
            }
        }, token);

        for (var tick = 1; tick <= 3; tick++)
        {
            await WaitUntilAsync(() => ticker.WaitingCount == 1 || loop.IsCompleted);
            time.Advance(Period);
            await WaitUntilAsync(() => Volatile.Read(ref releases) >= tick);
            Assert.Equal(tick, Volatile.Read(ref releases));
        }

        await loop.WaitAsync(TimeSpan.FromSeconds(5), token);
    }

    [Fact]
    public async Task Dispose_WithWaiters_FailsThemAndRefusesNewOnes()
    {
        var time = new FakeTimeProvider();
        var ticker = new KeepAliveTicker(Period, time);

        var wait = ticker.WaitForIdleAsync(() => TimeSpan.Zero, Interval, TestContext.Current.CancellationToken);
        ticker.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => wait);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => ticker.WaitForIdleAsync(() => Interval, Interval, TestContext.Current.CancellationToken));
    }

    [Fact]
    public void PeriodFor_SharedTicksAtMostEverySecond_PrivateAtAQuarterOfTheInterval()
    {
        Assert.Equal(TimeSpan.FromSeconds(1), KeepAliveTicker.PeriodFor(TimeSpan.FromSeconds(60), shared: true));
        Assert.Equal(TimeSpan.FromMilliseconds(50), KeepAliveTicker.PeriodFor(TimeSpan.FromMilliseconds(200), shared: true));
        Assert.Equal(TimeSpan.FromSeconds(15), KeepAliveTicker.PeriodFor(TimeSpan.FromSeconds(60), shared: false));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 5 s");
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }
    }
}
