using System.Diagnostics.Metrics;
using Gateway.Tests.Fakes;
using Gateway.Tests.Pool.Journal;
using Gateway.Tests.Support;
using Gateway.Xmpp;
using Gateway.Xmpp.Client;
using Gateway.Xmpp.Diagnostics;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Journal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Pool.Metrics;

/// <summary>
/// The pool's instruments (meter Gateway.Xmpp) on a connection without a socket. Each test has its own meter factory,
/// and its collectors listen to that factory's meter only, so pools of tests running alongside do not count here.
/// </summary>
public sealed class XmppMetricsTests : IAsyncDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly JournalTestKit _kit = new();
    private readonly SessionJournal _journal;
    private readonly DeliveryTracker _delivery;
    private readonly OutboundQueue _queue;
    private readonly XmppMetrics _metrics;

    public XmppMetricsTests()
    {
        _journal = _kit.Journal.Open("t", "s", 0);
        _delivery = new DeliveryTracker(new MessageStatusTracker(100, TimeProvider.System), _journal, TimeProvider.System);
        OutboundQueue? queue = null;
        _metrics = new XmppMetrics(Factory, () => [new Measurement<int>(1, XmppMetrics.StateTag(SessionState.Online))], () => queue!.Count, () => queue!.UnacknowledgedCount);
        _queue = queue = new OutboundQueue("t", "s", new SessionPoolOptions(), _journal, _delivery, durable: true, () => null, () => TimeSpan.FromSeconds(1), TimeProvider.System, NullLogger.Instance, metrics: _metrics);
    }

    private IMeterFactory Factory => _services.GetRequiredService<IMeterFactory>();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private MetricCollector<T> Collect<T>(string instrument)
        where T : struct => new(Factory, XmppTelemetry.MeterName, instrument);

    [Fact]
    [Trait("Spec", "XEP-0198 §4")]
    public async Task Send_WrittenThenAcknowledged_CountsSentByKindAckedAndObservesQueueAndUnacknowledged()
    {
        using var sent = Collect<long>("gateway.xmpp.stanzas.sent");
        using var acked = Collect<long>("gateway.xmpp.stanzas.acknowledged");
        using var queued = Collect<long>("gateway.xmpp.outbound.queued");
        using var unacknowledged = Collect<long>("gateway.xmpp.outbound.unacknowledged");

        await _queue.AcceptAsync(Chat("m1"), waitForAck: false, tracked: true, Unavailable, Token);
        await _queue.AcceptAsync(Chat("m2"), waitForAck: false, tracked: true, Unavailable, Token);
        await _queue.AcceptAsync(new Presence { Id = "p1" }, waitForAck: false, tracked: false, Unavailable, Token);
        queued.RecordObservableInstruments();
        Assert.Equal(3, queued.LastMeasurement?.Value);
        Assert.Empty(sent.GetMeasurementSnapshot());

        var connection = new FakeConnection();
        using var context = new ConnectionContext(connection, 1);
        var run = new OutboundSender(_queue, TimeSpan.FromSeconds(1), "t", "s", NullLogger.Instance).RunAsync(context, Token);
        await Eventually.WaitUntilAsync(() => sent.GetMeasurementSnapshot().Count == 3);

        Assert.Equal(2, sent.GetMeasurementSnapshot().Where(m => m.MatchesTags(new KeyValuePair<string, object?>("kind", "message"))).Sum(m => m.Value));
        Assert.Equal(1, sent.GetMeasurementSnapshot().Where(m => m.MatchesTags(new KeyValuePair<string, object?>("kind", "presence"))).Sum(m => m.Value));
        queued.RecordObservableInstruments();
        unacknowledged.RecordObservableInstruments();
        Assert.Equal(0, queued.LastMeasurement?.Value);
        Assert.Equal(3, unacknowledged.LastMeasurement?.Value);
        Assert.Empty(acked.GetMeasurementSnapshot());

        connection.Acknowledge(3);
        await Eventually.WaitUntilAsync(() => acked.GetMeasurementSnapshot().Sum(m => m.Value) == 3);
        unacknowledged.RecordObservableInstruments();
        Assert.Equal(0, unacknowledged.LastMeasurement?.Value);

        connection.End();
        await run.WaitAsync(Token);
    }

    [Fact]
    [Trait("Spec", "XEP-0198 §4")]
    public async Task Send_RecordsTimeFromAdmissionToWriteAndFromWriteToAcknowledgement()
    {
        // A clock of its own: the two durations are what it was advanced by, between admission, write and acknowledgement.
        var time = new FakeTimeProvider();
        var queue = new OutboundQueue("t", "s2", new SessionPoolOptions(), _kit.Journal.Open("t", "s2", 0), _delivery, durable: true, () => null, () => TimeSpan.FromSeconds(1), time, NullLogger.Instance, metrics: _metrics);
        using var handoff = Collect<double>("gateway.xmpp.outbound.handoff.duration");
        using var acknowledgement = Collect<double>("gateway.xmpp.outbound.acknowledgement.duration");
        await queue.AcceptAsync(Chat("m1"), waitForAck: false, tracked: true, Unavailable, Token);
        await queue.AcceptAsync(Chat("m2"), waitForAck: false, tracked: true, Unavailable, Token);

        time.Advance(TimeSpan.FromMilliseconds(7));
        var connection = new FakeConnection();
        using var context = new ConnectionContext(connection, 1);
        var run = new OutboundSender(queue, TimeSpan.FromSeconds(1), "t", "s2", NullLogger.Instance).RunAsync(context, Token);
        await Eventually.WaitUntilAsync(() => handoff.GetMeasurementSnapshot().Count == 2);
        Assert.All(handoff.GetMeasurementSnapshot(), m => Assert.Equal(0.007, m.Value, precision: 6));
        Assert.Empty(acknowledgement.GetMeasurementSnapshot());

        time.Advance(TimeSpan.FromMilliseconds(30));
        connection.Acknowledge(2);
        await Eventually.WaitUntilAsync(() => acknowledgement.GetMeasurementSnapshot().Count == 2);
        Assert.All(acknowledgement.GetMeasurementSnapshot(), m => Assert.Equal(0.030, m.Value, precision: 6));

        connection.End();
        await run.WaitAsync(Token);
    }

    [Fact]
    public async Task Receive_MessageAndPresence_CountedByKind()
    {
        using var received = Collect<long>("gateway.xmpp.stanzas.received");
        var deduplicator = new InboundDeduplicator(Jid.Parse("me@example.com"));
        var archive = new ArchiveCatchUp(_journal, new MessagePublisher(_journal, deduplicator, TimeProvider.System), deduplicator, new ArchiveQueries(Jid.Parse("me@example.com")), cursor: null, restored: false, TimeSpan.FromSeconds(5), NullLogger.Instance);
        var pipeline = new InboundPipeline(_journal, _delivery, archive, _queue, TimeProvider.System, metrics: _metrics);
        var connection = new FakeConnection();
        using var context = new ConnectionContext(connection, 1);
        var run = pipeline.RunAsync(context, Token);

        connection.Deliver(new Message { From = Jid.Parse("peer@example.com/desk"), Id = "in-1", Type = MessageType.Chat, Body = "hi" });
        connection.Deliver(new Presence { From = Jid.Parse("peer@example.com/desk") });
        await Eventually.WaitUntilAsync(() => received.GetMeasurementSnapshot().Count == 2);

        Assert.Equal(["message", "presence"], received.GetMeasurementSnapshot().Select(m => (string?)m.Tags["kind"]));
        connection.End();
        await run.WaitAsync(Token);
    }

    [Theory]
    [InlineData(1, false, "initial")]
    [InlineData(2, true, "resumed")]
    [InlineData(2, false, "rebound")]
    [Trait("Spec", "XEP-0198 §5")]
    public async Task ConnectionUp_CountedWithItsOutcome(int number, bool resumed, string outcome)
    {
        using var connections = Collect<long>("gateway.xmpp.connections");
        using var context = new ConnectionContext(new FakeConnection(resumed: resumed), number);

        await new ConnectionMetrics(_metrics).OnConnectedAsync(context, Token);

        var measurement = Assert.Single(connections.GetMeasurementSnapshot());
        Assert.Equal(outcome, measurement.Tags["outcome"]);
    }

    [Fact]
    public void Committed_RecordsDurationInSecondsAndEntries()
    {
        using var duration = Collect<double>("gateway.xmpp.journal.commit.duration");
        using var entries = Collect<int>("gateway.xmpp.journal.commit.entries");

        _metrics.Committed(TimeSpan.FromMilliseconds(3), 17);

        Assert.Equal(0.003, Assert.Single(duration.GetMeasurementSnapshot()).Value, precision: 6);
        Assert.Equal(17, Assert.Single(entries.GetMeasurementSnapshot()).Value);
    }

    [Fact]
    public async Task SessionPool_WithoutSessions_ReportsEveryStateAsZero()
    {
        // A factory of its own: the meter a factory creates is shared by name, and this class's metrics observe sessions too.
        await using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        await using var pool = new SessionPool(new SessionPoolOptions(), NullLoggerFactory.Instance, meterFactory: factory);
        using var sessions = new MetricCollector<int>(factory, XmppTelemetry.MeterName, "gateway.xmpp.sessions");

        sessions.RecordObservableInstruments();

        var states = sessions.GetMeasurementSnapshot().ToDictionary(m => (string)m.Tags["state"]!, m => m.Value);
        Assert.Equal(new Dictionary<string, int> { ["connecting"] = 0, ["online"] = 0, ["reconnecting"] = 0, ["stopped"] = 0, ["failed"] = 0 }, states);
    }

    public async ValueTask DisposeAsync()
    {
        _metrics.Dispose();
        await _kit.DisposeAsync();
        await _services.DisposeAsync();
    }

    private static SessionUnavailableException Unavailable() => new("s", SessionState.Stopped, "stopped");

    private static Message Chat(string id) => new() { Id = id, To = Jid.Parse("peer@example.com"), Type = MessageType.Chat, Body = "hello " + id };
}
