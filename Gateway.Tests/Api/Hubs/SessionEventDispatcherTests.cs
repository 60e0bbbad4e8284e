using Gateway.Api.Contracts;
using Gateway.Api.Hubs;
using Gateway.Xmpp.Pool;
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

    private async Task<(string Group, string Kind, long EventId)> NextDeliveryAsync()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Token);
        cts.CancelAfter(TimeSpan.FromSeconds(10));
        return await _hub.Delivered.Reader.ReadAsync(cts.Token);
    }

    [Fact]
    public async Task Dispatch_EachEventKind_ReachesItsSessionGroupInOrder()
    {
        await StartAsync();
        var iq = new Gateway.Xmpp.Iq { Type = Gateway.Xmpp.IqType.Get, Id = "q1", Payload = [System.Xml.Linq.XElement.Parse("<query xmlns='urn:example'/>")] };
        _pool.Publish(Events.Message("t1", "s1", 1));
        _pool.Publish(new PresenceReceived("t1", "s1", 2, Events.At, new Gateway.Xmpp.Presence()));
        _pool.Publish(new RosterPushed("t1", "s1", 3, Events.At, new Gateway.Xmpp.RosterItem(Gateway.Xmpp.Jid.Parse("bob@example.com"))));
        _pool.Publish(new IqRequestReceived("t1", "s1", 4, Events.At, iq, Events.At.AddSeconds(10)));
        _pool.Publish(Events.State("t1", "s1", 5, SessionState.Reconnecting, "connection-lost"));

        var group = HubGroups.Session("t1", "s1");
        Assert.Equal((group, EventKinds.Message, 1L), await NextDeliveryAsync());
        Assert.Equal((group, EventKinds.Presence, 2L), await NextDeliveryAsync());
        Assert.Equal((group, EventKinds.RosterPush, 3L), await NextDeliveryAsync());
        Assert.Equal((group, EventKinds.IqRequest, 4L), await NextDeliveryAsync());
        Assert.Equal((group, EventKinds.SessionState, 5L), await NextDeliveryAsync());
    }

    [Fact]
    public async Task Dispatch_SendToOneGroupFails_LoggedAndLaterEventsStillDelivered()
    {
        _hub.Failing[HubGroups.Session("t1", "broken")] = true;
        await StartAsync();

        _pool.Publish(Events.Message("t1", "broken", 7));
        _pool.Publish(Events.Message("t1", "fine", 1));
        _pool.Publish(Events.Message("t1", "broken", 8));
        _pool.Publish(Events.Message("t1", "fine", 2));

        Assert.Equal((HubGroups.Session("t1", "fine"), EventKinds.Message, 1L), await NextDeliveryAsync());
        Assert.Equal((HubGroups.Session("t1", "fine"), EventKinds.Message, 2L), await NextDeliveryAsync());
        var failures = _logger.Collector.GetSnapshot().Where(r => r.Id.Id == 5101).ToList();
        Assert.Equal(2, failures.Count);
        Assert.All(failures, r => Assert.Equal(LogLevel.Warning, r.Level));
        Assert.IsType<IOException>(failures[0].Exception);
        Assert.Contains("t1/broken", failures[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dispatch_SubscriberNeverReads_GivesUpAfterSendTimeoutAndContinues()
    {
        _hub.Stuck[HubGroups.Session("t1", "slow")] = true;
        await StartAsync(sendTimeout: TimeSpan.FromMilliseconds(200));

        _pool.Publish(Events.Message("t1", "slow", 1));
        _pool.Publish(Events.Message("t1", "fast", 1));

        Assert.Equal((HubGroups.Session("t1", "fast"), EventKinds.Message, 1L), await NextDeliveryAsync());
        var timedOut = Assert.Single(_logger.Collector.GetSnapshot(), r => r.Id.Id == 5102);
        Assert.Equal(LogLevel.Warning, timedOut.Level);
    }

    [Fact]
    public async Task Execute_EventStreamThrows_LogsErrorAndReadsAgainAfterDelay()
    {
        _pool.ReadFailures.Enqueue(new InvalidOperationException("pool not started"));
        await StartAsync();

        await _time.TimerCreated.Task.WaitAsync(TimeSpan.FromSeconds(10), Token);
        var error = Assert.Single(_logger.Collector.GetSnapshot(), r => r.Id.Id == 5103);
        Assert.Equal(LogLevel.Error, error.Level);
        Assert.Equal(1, _pool.Reads);

        _time.Advance(TimeSpan.FromSeconds(1));
        _pool.Publish(Events.Message("t1", "s1", 1));

        Assert.Equal((HubGroups.Session("t1", "s1"), EventKinds.Message, 1L), await NextDeliveryAsync());
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
