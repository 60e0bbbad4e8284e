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
    private readonly RecordingHubContext _hub = new();
    private readonly FakeLogger<SessionEventDispatcher> _logger = new();
    private readonly SignallingTimeProvider _time = new();
    private SessionEventDispatcher? _dispatcher;

    private async Task<SessionEventDispatcher> StartAsync(TimeSpan? sendTimeout = null)
    {
        var options = Options.Create(new GatewayHubOptions { SendTimeout = sendTimeout ?? TimeSpan.FromSeconds(10) });
        _dispatcher = new SessionEventDispatcher(_pool, _hub, options, _logger, _time);
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
    }

    /// <summary>Subscribes "from now on" (after the last journaled id) and waits until the subscription is live.</summary>
    private async Task SubscribeLiveAsync(string session, string connection, long after = 0)
    {
        await _dispatcher!.SubscribeAsync("t1", session, connection, after, fromNow: true, Token);
        await WaitLiveAsync(session, connection);
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
        var failures = _logger.Collector.GetSnapshot().Where(r => r.Id.Id == 5101).ToList();
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
