using System.Collections.Concurrent;
using System.Diagnostics;
using Gateway.Tests.Fakes;
using Gateway.Tests.Pool.Journal;
using Gateway.Tests.Support;
using Gateway.Xmpp;
using Gateway.Xmpp.Client;
using Gateway.Xmpp.Diagnostics;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Journal;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Pool.Metrics;

/// <summary>
/// The activity of a sent stanza (source Gateway.Xmpp): a child of the caller's activity, with the events queued,
/// written and acked, ended at the server's acknowledgement. Activities are told apart by stanza id, since the
/// listener also hears sends of tests running alongside.
/// </summary>
public sealed class OutboundActivityTests : IAsyncDisposable
{
    private static readonly ActivitySource Caller = new("Gateway.Tests.Caller");
    private readonly JournalTestKit _kit = new();
    private readonly OutboundQueue _queue;
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ActivityListener _listener;

    public OutboundActivityTests()
    {
        var journal = _kit.Journal.Open("t", "s", 0);
        var delivery = new DeliveryTracker(new MessageStatusTracker(100, TimeProvider.System), journal, TimeProvider.System);
        _queue = new OutboundQueue("t", "s", new SessionPoolOptions(), journal, delivery, durable: true, () => null, () => TimeSpan.FromSeconds(1), TimeProvider.System, NullLogger.Instance);
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is XmppTelemetry.ActivitySourceName or "Gateway.Tests.Caller",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    [Trait("Spec", "XEP-0198 §4")]
    public async Task Send_Acknowledged_ActivityIsChildOfCallerWithQueuedWrittenAcked()
    {
        var id = "trace-" + Guid.NewGuid().ToString("N");
        using var request = Caller.StartActivity("POST messages");
        Assert.NotNull(request);

        await _queue.AcceptAsync(Chat(id), waitForAck: false, tracked: true, Unavailable, Token);
        Assert.Same(request, Activity.Current); // the send's activity never became the caller's current one

        var connection = new FakeConnection();
        using var context = new ConnectionContext(connection, 1);
        var run = new OutboundSender(_queue, TimeSpan.FromSeconds(1), "t", "s", NullLogger.Instance).RunAsync(context, Token);
        await Eventually.WaitUntilAsync(() => connection.Written.Any(s => s.Id == id));
        Assert.DoesNotContain(_stopped, a => Equals(a.GetTagItem("xmpp.stanza.id"), id)); // open until acknowledged

        connection.Acknowledge(1);
        await Eventually.WaitUntilAsync(() => _stopped.Any(a => Equals(a.GetTagItem("xmpp.stanza.id"), id)));

        var send = _stopped.Single(a => Equals(a.GetTagItem("xmpp.stanza.id"), id));
        Assert.Equal(XmppActivities.OutboundName, send.OperationName);
        Assert.Equal(ActivityKind.Producer, send.Kind);
        Assert.Equal(request.TraceId, send.TraceId);
        Assert.Equal(request.SpanId, send.ParentSpanId);
        Assert.Equal(["queued", "written", "acked"], send.Events.Select(e => e.Name));
        Assert.Equal(ActivityStatusCode.Ok, send.Status);
        Assert.Equal(("t", "s", "message"), ((string?)send.GetTagItem("gateway.tenant"), (string?)send.GetTagItem("gateway.session.id"), (string?)send.GetTagItem("xmpp.stanza.kind")));

        connection.End();
        await run.WaitAsync(Token);
    }

    [Fact]
    public async Task Send_SessionStopsBeforeWriting_ActivityEndsAsError()
    {
        var id = "trace-" + Guid.NewGuid().ToString("N");
        await _queue.AcceptAsync(Chat(id), waitForAck: false, tracked: true, Unavailable, Token);

        await _queue.DrainAsync(Unavailable(), keep: false);

        var send = Assert.Single(_stopped, a => Equals(a.GetTagItem("xmpp.stanza.id"), id));
        Assert.Equal(["queued"], send.Events.Select(e => e.Name));
        Assert.Equal(ActivityStatusCode.Error, send.Status);
        Assert.Equal("session-ended", send.StatusDescription);
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Dispose();
        await _kit.DisposeAsync();
    }

    private static SessionUnavailableException Unavailable() => new("s", SessionState.Stopped, "stopped");

    private static Message Chat(string id) => new() { Id = id, To = Jid.Parse("peer@example.com"), Type = MessageType.Chat, Body = "hello " + id };
}
