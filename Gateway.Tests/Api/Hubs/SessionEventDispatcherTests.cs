using System.Threading.Channels;
using Gateway.Api.Contracts;
using Gateway.Api.Hubs;
using Gateway.Xmpp.Pool;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Api.Hubs;

[Trait("Tier", "Unit")]
public sealed class SessionEventDispatcherTests : IAsyncDisposable
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private readonly FakeEventPool _pool = new();
    private readonly RecordingConnections _hub = new();
    private readonly Channel<bool> _logged = Channel.CreateUnbounded<bool>();
    private readonly FakeLogger<SessionEventDispatcher> _logger;
    private readonly SignallingTimeProvider _time = new();
    private SessionEventDispatcher? _dispatcher;

    public SessionEventDispatcherTests() =>
        _logger = new(FakeLogCollector.Create(new FakeLogCollectorOptions { OutputSink = _ => _logged.Writer.TryWrite(true) }));

    private async Task<SessionEventDispatcher> StartAsync(TimeSpan? sendTimeout = null, int? queueEvents = null, long? queueBytes = null)
    {
        var defaults = new GatewayHubOptions();
        var options = Options.Create(new GatewayHubOptions
        {
            SendTimeout = sendTimeout ?? defaults.SendTimeout,
            SubscriptionQueueEvents = queueEvents ?? defaults.SubscriptionQueueEvents,
            SubscriptionQueueBytes = queueBytes ?? defaults.SubscriptionQueueBytes,
        });
        _dispatcher = new SessionEventDispatcher(_pool, _hub.Registry, options, _logger, _time);
        await _dispatcher.StartAsync(Token);
        return _dispatcher;
    }

    public async ValueTask DisposeAsync()
    {
        if (_dispatcher is not null)
        {
            await _dispatcher.StopAsync(CancellationToken.None);
            _dispatcher.Dispose();
        }

        await _hub.DisposeAsync();
    }

    /// <summary>Opens the connection, subscribes it "from now on" (after the last journaled id) and waits until the subscription is live.</summary>
    private async Task SubscribeLiveAsync(string session, string connection, long after = 0)
    {
        _hub.Connect(connection);
        await _dispatcher!.SubscribeAsync("t1", session, connection, after, fromNow: true, Token);
        await WaitLiveAsync(session, connection);
    }

    /// <summary>The log records with this event id once there are at least <paramref name="count"/>; waits for each record logged.</summary>
    private async Task<List<FakeLogRecord>> WaitForLogsAsync(int eventId, int count)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Token);
        cts.CancelAfter(TimeSpan.FromSeconds(10));
        while (true)
        {
            var found = _logger.Collector.GetSnapshot().Where(r => r.Id.Id == eventId).ToList();
            if (found.Count >= count)
            {
                return found;
            }

            await _logged.Reader.ReadAsync(cts.Token);
        }
    }

    /// <summary>What the connection receives next: (kind, event id); fails after 10 s.</summary>
    private static async Task<(string Kind, long EventId)> NextReceivedAsync(TestConnection connection)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Token);
        cts.CancelAfter(TimeSpan.FromSeconds(10));
        return await connection.Received.Reader.ReadAsync(cts.Token);
    }

    private async Task WaitLiveAsync(string session, string connection)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Token);
        cts.CancelAfter(TimeSpan.FromSeconds(10));
        while (!_dispatcher!.IsLive("t1", session, connection))
        {
            await Task.Delay(5, cts.Token);
        }
    }

    [Fact]
    public async Task Stop_AfterDispose_CompletesWithoutThrowing()
    {
        // The minimal-hosting entry point disposes the host (and so this service) as soon as its own stop is done,
        // while WebApplicationFactory's stop may still be going through the services (seen once in CI as an
        // ObjectDisposedException from this StopAsync, which then checked for disposal and cancelled a step later).
        // A stop that comes after the disposal must still complete, and every later reader of the token sees it
        // cancelled.
        var dispatcher = await StartAsync();
        _hub.Connect("c1");
        await dispatcher.SubscribeAsync("t1", "s1", "c1", afterEventId: 0, fromNow: true, Token);

        dispatcher.Dispose();
        await dispatcher.StopAsync(Token);

        Assert.True(dispatcher.StoppingToken.IsCancellationRequested);
    }

    [Fact]
    public async Task Stop_PumpThatIgnoresStopping_AbandonedAfterBoundWithoutFailingTheStop()
    {
        // A replay read that never ends and ignores cancellation: the stop must not wait for it beyond its own bound,
        // and must not throw (a failed stop makes the host abort the process instead of exiting).
        var reading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var never = new TaskCompletionSource();
        var reads = 0;
        _pool.Journal(Events.Message("t1", "s1", 1));
        _pool.OnReadHistory = () =>
        {
            // The first page is read by SubscribeAsync itself; the pump's next read is the one that hangs.
            if (Interlocked.Increment(ref reads) == 1)
            {
                return Task.CompletedTask;
            }

            reading.TrySetResult();
            return never.Task;
        };
        var dispatcher = await StartAsync();
        _hub.Connect("c1");
        await dispatcher.SubscribeAsync("t1", "s1", "c1", afterEventId: 0, fromNow: false, Token);
        await reading.Task.WaitAsync(Token);

        try
        {
            await StopWithinBoundAsync(dispatcher);
        }
        finally
        {
            never.TrySetResult();
            _pool.OnReadHistory = null;
        }

        var abandoned = Assert.Single(_logger.Collector.GetSnapshot(), r => r.Id.Id == 5116);
        Assert.Equal(LogLevel.Warning, abandoned.Level);
    }

    private async Task StopWithinBoundAsync(SessionEventDispatcher dispatcher)
    {
        var stop = dispatcher.StopAsync(CancellationToken.None);

        // Time moves in steps until the stop ends (its deadline timer is created once the pumps have been told to stop).
        for (var advanced = TimeSpan.Zero; !stop.IsCompleted && advanced < TimeSpan.FromMinutes(1); advanced += TimeSpan.FromMilliseconds(500))
        {
            _time.Advance(TimeSpan.FromMilliseconds(500));
            await Task.WhenAny(stop, Task.Delay(20, Token));
        }

        await stop.WaitAsync(TimeSpan.FromSeconds(10), Token);
    }

    private async Task<(string Connection, string Kind, long EventId)> NextDeliveryAsync()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Token);
        cts.CancelAfter(TimeSpan.FromSeconds(10));
        return await _hub.Delivered.Reader.ReadAsync(cts.Token);
    }

    /// <summary>The ids the connection received, reading deliveries until <paramref name="count"/> arrived, then checking nothing more comes.</summary>
    private async Task<List<long>> ReceivedIdsAsync(string connection, int count)
    {
        var ids = new List<long>();
        while (ids.Count < count)
        {
            var (to, _, id) = await NextDeliveryAsync();
            if (to == connection)
            {
                ids.Add(id);
            }
        }

        await Task.Delay(100, Token);
        while (_hub.Delivered.Reader.TryRead(out var extra))
        {
            if (extra.Connection == connection)
            {
                ids.Add(extra.EventId);
            }
        }

        return ids;
    }

    [Fact]
    public async Task Dispatch_EachEventKind_ReachesSubscribedConnectionInOrder()
    {
        await StartAsync();
        await SubscribeLiveAsync("s1", "c1");
        var iq = new Gateway.Xmpp.Iq { Type = Gateway.Xmpp.IqType.Get, Id = "q1", Payload = [System.Xml.Linq.XElement.Parse("<query xmlns='urn:example'/>")] };
        _pool.Publish(Events.Message("t1", "s1", 1));
        _pool.Publish(new PresenceReceived("t1", "s1", 2, Events.At, new Gateway.Xmpp.Presence()));
        _pool.Publish(new RosterPushed("t1", "s1", 3, Events.At, new Gateway.Xmpp.RosterItem(Gateway.Xmpp.Jid.Parse("bob@example.com"))));
        _pool.Publish(new IqRequestReceived("t1", "s1", 4, Events.At, iq, Events.At.AddSeconds(10)));
        _pool.Publish(Events.State("t1", "s1", 5, SessionState.Reconnecting, "connection-lost"));
        _pool.Publish(new MessageStatusChanged("t1", "s1", 6, Events.At, new MessageStatus("m-1", Gateway.Xmpp.Jid.Parse("bob@example.com"), DeliveryStatus.Acked, Events.At, Events.At)));

        Assert.Equal(("c1", EventKinds.Message, 1L), await NextDeliveryAsync());
        Assert.Equal(("c1", EventKinds.Presence, 2L), await NextDeliveryAsync());
        Assert.Equal(("c1", EventKinds.RosterPush, 3L), await NextDeliveryAsync());
        Assert.Equal(("c1", EventKinds.IqRequest, 4L), await NextDeliveryAsync());
        Assert.Equal(("c1", EventKinds.SessionState, 5L), await NextDeliveryAsync());
        Assert.Equal(("c1", EventKinds.MessageStatus, 6L), await NextDeliveryAsync());
    }

    [Fact]
    public async Task Dispatch_SendToOneConnectionFails_LoggedAndLaterEventsStillDelivered()
    {
        _hub.Failing["c-broken"] = true;
        await StartAsync();
        await SubscribeLiveAsync("broken", "c-broken");
        await SubscribeLiveAsync("fine", "c-fine");

        _pool.Publish(Events.Message("t1", "broken", 1));
        _pool.Publish(Events.Message("t1", "fine", 1));
        _pool.Publish(Events.Message("t1", "broken", 2));
        _pool.Publish(Events.Message("t1", "fine", 2));

        Assert.Equal(("c-fine", EventKinds.Message, 1L), await NextDeliveryAsync());
        Assert.Equal(("c-fine", EventKinds.Message, 2L), await NextDeliveryAsync());

        // Each subscription is written by its own pump: the broken one's failures are waited for, not assumed done.
        var failures = await WaitForLogsAsync(5101, 2);
        Assert.Equal(2, failures.Count);
        Assert.All(failures, r => Assert.Equal(LogLevel.Warning, r.Level));
        Assert.IsType<IOException>(failures[0].Exception);
        Assert.Contains("t1/broken", failures[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dispatch_SubscriberNeverReads_GivesUpAfterSendTimeoutAndContinues()
    {
        _hub.Stuck["c-slow"] = true;
        await StartAsync(sendTimeout: TimeSpan.FromMilliseconds(200));
        await SubscribeLiveAsync("slow", "c-slow");
        await SubscribeLiveAsync("fast", "c-fast");

        _pool.Publish(Events.Message("t1", "slow", 1));
        _pool.Publish(Events.Message("t1", "fast", 1));

        Assert.Equal(("c-fast", EventKinds.Message, 1L), await NextDeliveryAsync());

        // The slow connection is given up on by its own pump, after the timeout (not before c-fast's delivery): closed.
        await WaitCancelledAsync(_hub["c-slow"].ConnectionAborted);
        var timedOut = Assert.Single(_logger.Collector.GetSnapshot(), r => r.Id.Id == 5102);
        Assert.Equal(LogLevel.Warning, timedOut.Level);
    }

    [Fact]
    public async Task Dispatch_NoSubscriber_NothingSent()
    {
        await StartAsync();
        await SubscribeLiveAsync("s1", "c1");

        _pool.Publish(Events.Message("t1", "other", 1));
        _pool.Publish(Events.Message("t2", "s1", 1));
        _pool.Publish(Events.Message("t1", "s1", 1));

        Assert.Equal(("c1", EventKinds.Message, 1L), await NextDeliveryAsync());
        Assert.False(_hub.Delivered.Reader.TryRead(out _));
    }

    [Fact]
    public async Task Execute_EventStreamThrows_LogsErrorAndReadsAgainAfterDelay()
    {
        _pool.ReadFailures.Enqueue(new InvalidOperationException("pool not started"));
        await StartAsync();
        await SubscribeLiveAsync("s1", "c1");

        await _time.TimerCreated.Task.WaitAsync(TimeSpan.FromSeconds(10), Token);
        var error = Assert.Single(_logger.Collector.GetSnapshot(), r => r.Id.Id == 5103);
        Assert.Equal(LogLevel.Error, error.Level);
        Assert.Equal(1, _pool.Reads);

        _time.Advance(TimeSpan.FromSeconds(1));
        _pool.Publish(Events.Message("t1", "s1", 1));

        Assert.Equal(("c1", EventKinds.Message, 1L), await NextDeliveryAsync());
        Assert.Equal(2, _pool.Reads);
    }

    [Fact]
    public async Task Execute_EventStreamCompletes_StopsQuietly()
    {
        var dispatcher = await StartAsync();

        _pool.Complete();

        await dispatcher.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(10), Token);
        Assert.Contains(_logger.Collector.GetSnapshot(), r => r.Id.Id == 5104);
        Assert.DoesNotContain(_logger.Collector.GetSnapshot(), r => r.Level >= LogLevel.Warning);
    }

    [Fact]
    public async Task Subscribe_AfterEarlierEvents_ReplaysThemThenLiveOnesExactlyOnceInOrder()
    {
        var dispatcher = await StartAsync();
        for (var id = 1; id <= 5; id++)
        {
            _pool.Publish(Events.Message("t1", "s1", id));
        }

        _hub.Connect("c1");
        await dispatcher.SubscribeAsync("t1", "s1", "c1", afterEventId: 2, fromNow: false, Token);
        for (var id = 6; id <= 8; id++)
        {
            _pool.Publish(Events.Message("t1", "s1", id));
        }

        Assert.Equal([3L, 4, 5, 6, 7, 8], await ReceivedIdsAsync("c1", 6));
    }

    [Fact]
    public async Task Subscribe_LiveEventsRaceWithReplay_EachDeliveredExactlyOnceInOrder()
    {
        var dispatcher = await StartAsync();
        for (var id = 1; id <= 1200; id++)
        {
            _pool.Publish(Events.Message("t1", "s1", id));
        }

        // While the replay reads the log, live events keep coming: journaled and dispatched at the same time.
        var next = 1201;
        _pool.OnReadHistory = async () =>
        {
            for (var i = 0; i < 30 && next <= 1500; i++)
            {
                _pool.Publish(Events.Message("t1", "s1", next++));
            }

            await Task.Yield();
        };

        _hub.Connect("c1");
        await dispatcher.SubscribeAsync("t1", "s1", "c1", afterEventId: 0, fromNow: false, Token);
        await WaitLiveAsync("s1", "c1");
        _pool.OnReadHistory = null;
        var last = next;
        for (var id = last; id < last + 50; id++)
        {
            _pool.Publish(Events.Message("t1", "s1", id));
        }

        var total = last + 49;
        var ids = await ReceivedIdsAsync("c1", total);
        Assert.Equal(Enumerable.Range(1, total).Select(i => (long)i), ids);
    }

    [Fact]
    public async Task Dispatch_EventsDroppedBeforeDispatch_ReplayedFromTheLog()
    {
        await StartAsync();
        await SubscribeLiveAsync("s1", "c1");

        _pool.Publish(Events.Message("t1", "s1", 1));
        _pool.Journal(Events.Message("t1", "s1", 2));
        _pool.Journal(Events.Message("t1", "s1", 3));
        _pool.Publish(Events.Message("t1", "s1", 4));
        _pool.Publish(Events.Message("t1", "s1", 5));

        Assert.Equal([1L, 2, 3, 4, 5], await ReceivedIdsAsync("c1", 5));
        Assert.Contains(_logger.Collector.GetSnapshot(), r => r.Id.Id == 5111);
    }

    [Fact]
    public async Task Subscribe_AfterEventsDroppedByRetention_ReplayGapAndNotSubscribed()
    {
        var dispatcher = await StartAsync();
        for (var id = 1; id <= 10; id++)
        {
            _pool.Publish(Events.Message("t1", "s1", id));
        }

        _pool.OldestKept = 6;
        _hub.Connect("c1");

        var refused = await Assert.ThrowsAsync<HubException>(() => dispatcher.SubscribeAsync("t1", "s1", "c1", afterEventId: 2, fromNow: false, Token));

        Assert.Equal("replay-gap: events after 2 are no longer kept; the oldest available is 6", refused.Message);
        Assert.Equal(0, dispatcher.SubscriptionCount);
    }

    [Fact]
    public async Task UnsubscribeAndRemoveConnection_StopDelivery()
    {
        var dispatcher = await StartAsync();
        await SubscribeLiveAsync("s1", "c1");
        await SubscribeLiveAsync("s1", "c2");
        await SubscribeLiveAsync("s1", "c3");

        Assert.True(dispatcher.Unsubscribe("t1", "s1", "c1"));
        dispatcher.RemoveConnection("c2");
        _pool.Publish(Events.Message("t1", "s1", 1));

        Assert.Equal(("c3", EventKinds.Message, 1L), await NextDeliveryAsync());
        await Task.Delay(100, Token);
        Assert.False(_hub.Delivered.Reader.TryRead(out _));
        Assert.Equal(1, dispatcher.SubscriptionCount);
    }

    [Fact]
    public async Task Dispatch_SubscriberNeverReads_OtherSubscribersNotDelayed()
    {
        // Five minutes per stuck write: a dispatcher that waited on it would deliver nothing else within the test.
        _hub.Stuck["c-stuck"] = true;
        await StartAsync(sendTimeout: TimeSpan.FromMinutes(5));
        await SubscribeLiveAsync("slow", "c-stuck");
        await SubscribeLiveAsync("slow", "c-same-session");
        await SubscribeLiveAsync("other", "c-other-session");

        for (var id = 1; id <= 5; id++)
        {
            _pool.Publish(Events.Message("t1", "slow", id));
        }

        _pool.Publish(Events.Message("t1", "other", 1, "sentinel"));

        // The sentinel comes after five events c-stuck has not read; so do those five for its fellow subscriber.
        Assert.Equal((EventKinds.Message, 1L), await NextReceivedAsync(_hub["c-other-session"]));
        for (var id = 1; id <= 5; id++)
        {
            Assert.Equal((EventKinds.Message, (long)id), await NextReceivedAsync(_hub["c-same-session"]));
        }

        // And the stuck subscriber was merely waited out, not given up on: nothing timed out, nothing ended.
        Assert.False(_hub["c-stuck"].ConnectionAborted.IsCancellationRequested);
        Assert.True(_dispatcher!.IsLive("t1", "slow", "c-stuck"));
        Assert.DoesNotContain(_logger.Collector.GetSnapshot(), r => r.Id.Id is 5102 or 5114);
        Assert.False(_hub["c-stuck"].Received.Reader.TryRead(out _));
    }

    [Fact]
    public async Task Dispatch_SubscriberFallsBehind_EndsWithSlowConsumerAndSubscribeAfterGetsTheRestOnceInOrder()
    {
        _hub.Stuck["c1"] = true;
        var dispatcher = await StartAsync(queueEvents: 4);
        await SubscribeLiveAsync("s1", "c1");
        await SubscribeLiveAsync("witness", "c-witness");

        // c1 reads nothing: one write waits on it and four events fit its queue, so 30 overflow it.
        for (var id = 1; id <= 30; id++)
        {
            _pool.Publish(Events.Message("t1", "s1", id));
        }

        // The loop hands events out in order: once the witness has its sentinel, all 30 were offered to c1.
        _pool.Publish(Events.Message("t1", "witness", 1, "sentinel"));
        Assert.Equal((EventKinds.Message, 1L), await NextReceivedAsync(_hub["c-witness"]));
        var c1 = _hub["c1"];
        c1.StartReading();

        // c1 gets what was written before the end, then the end, naming the last of those.
        var before = new List<long>();
        var (kind, id1) = await NextReceivedAsync(c1);
        while (kind == EventKinds.Message)
        {
            before.Add(id1);
            (kind, id1) = await NextReceivedAsync(c1);
        }

        Assert.Equal("subscription-ended", kind);
        var ended = await c1.Ended.Reader.ReadAsync(Token);
        Assert.Equal(new SubscriptionEndedDto("s1", "slow-consumer", before.Count), ended);
        Assert.Equal(Enumerable.Range(1, before.Count).Select(i => (long)i), before);
        Assert.True(before.Count < 30, $"c1 got all {before.Count} events: its subscription should have ended first");
        var logged = Assert.Single(await WaitForLogsAsync(5114, 1));
        Assert.Equal(LogLevel.Warning, logged.Level);
        await WaitUntilAsync(() => dispatcher.SubscriptionCount == 1);

        // More events while it is not subscribed, then it comes back from the last id it got and events go on.
        for (var id = 31; id <= 35; id++)
        {
            _pool.Publish(Events.Message("t1", "s1", id));
        }

        await dispatcher.SubscribeAsync("t1", "s1", "c1", ended.LastEventId, fromNow: false, Token);
        for (var id = 36; id <= 40; id++)
        {
            _pool.Publish(Events.Message("t1", "s1", id));
        }

        var after = new List<long>();
        while (after.Count == 0 || after[^1] < 40)
        {
            var (nextKind, nextId) = await NextReceivedAsync(c1);
            Assert.Equal(EventKinds.Message, nextKind);
            after.Add(nextId);
        }

        Assert.Equal(Enumerable.Range((int)ended.LastEventId + 1, 40 - (int)ended.LastEventId).Select(i => (long)i), after);
    }

    [Fact]
    public async Task Dispatch_QueueBytesBoundReached_EndsBeforeTheEventBound()
    {
        _hub.Stuck["c1"] = true;
        await StartAsync(queueEvents: 1_000, queueBytes: 64 * 1024);
        await SubscribeLiveAsync("s1", "c1");
        await SubscribeLiveAsync("witness", "c-witness");
        var body = new string('x', 16 * 1024);

        // 20 events of 16 KiB: far below 1,000 events, far above 64 KiB.
        for (var id = 1; id <= 20; id++)
        {
            _pool.Publish(Events.Message("t1", "s1", id, body));
        }

        _pool.Publish(Events.Message("t1", "witness", 1, "sentinel"));
        await NextReceivedAsync(_hub["c-witness"]);
        _hub["c1"].StartReading();

        var ended = await _hub["c1"].Ended.Reader.ReadAsync(Token);
        Assert.Equal("slow-consumer", ended.Reason);
        var logged = Assert.Single(await WaitForLogsAsync(5114, 1));
        var queuedEvents = int.Parse(logged.GetStructuredStateValue("QueuedEvents")!, System.Globalization.CultureInfo.InvariantCulture);
        var queuedBytes = long.Parse(logged.GetStructuredStateValue("QueuedBytes")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(queuedEvents, 2, 6);
        Assert.True(queuedBytes > 64 * 1024, $"ended with {queuedBytes} bytes queued");
    }

    [Fact]
    public async Task Dispatch_EventLargerThanBytesBound_DeliveredToAnEmptyQueue()
    {
        await StartAsync(queueBytes: 64 * 1024);
        await SubscribeLiveAsync("s1", "c1");

        _pool.Publish(Events.Message("t1", "s1", 1, new string('x', 100 * 1024)));
        _pool.Publish(Events.Message("t1", "s1", 2));

        Assert.Equal((EventKinds.Message, 1L), await NextReceivedAsync(_hub["c1"]));
        Assert.Equal((EventKinds.Message, 2L), await NextReceivedAsync(_hub["c1"]));
        Assert.False(_hub["c1"].Ended.Reader.TryRead(out _));
    }

    [Fact]
    public async Task Dispatch_ManySubscribers_EachEventSerialisedOnce()
    {
        await StartAsync();
        var connections = Enumerable.Range(1, 50).Select(i => $"c{i}").ToList();
        foreach (var connection in connections)
        {
            await SubscribeLiveAsync("s1", connection);
        }

        for (var id = 1; id <= 10; id++)
        {
            _pool.Publish(Events.Message("t1", "s1", id));
        }

        foreach (var connection in connections)
        {
            for (var id = 1; id <= 10; id++)
            {
                Assert.Equal((EventKinds.Message, (long)id), await NextReceivedAsync(_hub[connection]));
            }
        }

        Assert.Equal(10, _hub.Protocol.InvocationsSerialised);
    }

    [Fact]
    public async Task Subscribe_LongBacklog_ReplayReadsPagesNoLargerThanTheQueue()
    {
        var dispatcher = await StartAsync(queueEvents: 50, queueBytes: 4 * 1024 * 1024);
        for (var id = 1; id <= 300; id++)
        {
            _pool.Publish(Events.Message("t1", "s1", id));
        }

        _hub.Connect("c1");
        await dispatcher.SubscribeAsync("t1", "s1", "c1", afterEventId: 0, fromNow: false, Token);

        var ids = new List<long>();
        while (ids.Count < 300)
        {
            ids.Add((await NextReceivedAsync(_hub["c1"])).EventId);
        }

        Assert.Equal(Enumerable.Range(1, 300).Select(i => (long)i), ids);
        var limits = _pool.HistoryLimits.ToList();

        // Every read asks for no more than the queue holds: its 50 events, its 4 MiB of stored bytes.
        Assert.All(limits, limit => Assert.Equal(50, limit));
        Assert.All(_pool.HistoryMaxBytes, maxBytes => Assert.Equal(4 * 1024 * 1024, maxBytes));
    }

    private static async Task WaitCancelledAsync(CancellationToken token)
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = token.Register(() => cancelled.TrySetResult());
        await cancelled.Task.WaitAsync(TimeSpan.FromSeconds(10), Token);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Token);
        cts.CancelAfter(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            await Task.Delay(5, cts.Token);
        }
    }

    /// <summary>Tells the test when the code under test started waiting, so it advances time only then.</summary>
    private sealed class SignallingTimeProvider : FakeTimeProvider
    {
        public TaskCompletionSource TimerCreated { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            TimerCreated.TrySetResult();
            return timer;
        }
    }
}
