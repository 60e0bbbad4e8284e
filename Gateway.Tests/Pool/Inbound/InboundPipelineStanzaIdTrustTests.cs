using System.Xml.Linq;
using Gateway.Tests.Fakes;
using Gateway.Tests.Pool.Journal;
using Gateway.Tests.Support;
using Gateway.Xmpp;
using Gateway.Xmpp.Client;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Journal;
using Gateway.Xmpp.Protocol;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Pool.Inbound;

/// <summary>
/// XEP-0359 §4 on demand: the first message of a stream that claims an archive id makes the stream ask the server
/// whether it stamps stanza-ids, and that message waits for the answer. The answer comes on the same stream, behind
/// whatever the server sent before it; the stream's reader hands messages to a bounded queue that only the inbound
/// pipeline empties. So the wait must never stop the pipeline from emptying that queue, or the answer cannot be read.
/// </summary>
[Trait("Tier", "Unit")]
[Trait("Spec", "XEP-0359 §4")]
public sealed class InboundPipelineStanzaIdTrustTests : IAsyncDisposable
{
    private static readonly Jid Me = Jid.Parse("me@example.com");
    private static readonly Jid Peer = Jid.Parse("peer@example.org/desk");

    /// <summary>Long enough that a test passing by the wait's expiry would time out first.</summary>
    private static readonly TimeSpan Forever = TimeSpan.FromMinutes(10);

    private readonly JournalTestKit _kit = new();
    private readonly SessionJournal _journal;

    public InboundPipelineStanzaIdTrustTests() => _journal = _kit.Journal.Open("t", "s", 0);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnswerBehindMoreMessagesThanTheQueueHolds_ReadWhileTheFirstMessageWaits_AllKeepTheirArchiveIds()
    {
        // The incoming queue holds 4; the server sent 20 more messages before its answer. A pipeline that waits for the
        // answer without emptying the queue leaves the reader stuck on the 5th of them, in front of the answer: a
        // deadlock until the wait gives up, after which the messages count as having no archive id.
        const int Behind = 20;
        var trust = new StanzaIdTrust(Me, Forever, NullLogger.Instance, "t", "s", answerWait: Forever);
        var (pipeline, archive) = NewPipeline(trust);
        var asked = new TaskCompletionSource<Iq>(TaskCreationOptions.RunContinuationsAsynchronously);
        var answer = new TaskCompletionSource<Iq>(TaskCreationOptions.RunContinuationsAsynchronously);
        var connection = new FakeConnection(incomingCapacity: 4)
        {
            AnswerIq = request =>
            {
                asked.TrySetResult(request);
                return answer.Task;
            },
        };
        using var context = new ConnectionContext(connection, 1);
        await trust.OnConnectedAsync(context, Token);
        var run = pipeline.RunAsync(context, Token);

        // The stream as the reader sees it: the first claiming message, those the server sent before answering, the answer.
        var stream = Task.Run(async () =>
        {
            for (var i = 0; i <= Behind; i++)
            {
                await connection.DeliverAsync(Stamped(i), Token);
            }

            var request = await asked.Task;
            answer.SetResult(request.ResultReply(DiscoFeature.ToElement(new DiscoInfo([], [Ns.StanzaId]))));
        }, Token);

        await Eventually.WaitUntilAsync(() => _kit.Dispatched.OfType<MessageReceived>().Count() == Behind + 1, TimeSpan.FromSeconds(30));
        await stream.WaitAsync(Token);

        var published = _kit.Dispatched.OfType<MessageReceived>().ToList();
        Assert.Equal([.. Enumerable.Range(0, Behind + 1).Select(i => $"m{i}")], published.Select(e => e.Message.Id));
        Assert.Equal([.. Enumerable.Range(0, Behind + 1).Select(i => $"arc-{i}")], published.Select(e => e.ArchiveId));
        Assert.Equal($"arc-{Behind}", archive.Cursor);
        Assert.True(trust.Trusted);

        connection.End();
        await run.WaitAsync(Token);
    }

    [Fact]
    public async Task AnswerBehindMoreThanTheBacklogHolds_FirstMessageGoesOnWithoutIt_LaterOnesUseTheLateAnswer()
    {
        // Memory stays bounded: once the backlog is full, waiting longer could only stall the reader again.
        const int Behind = 12;
        var trust = new StanzaIdTrust(Me, Forever, NullLogger.Instance, "t", "s", answerWait: Forever);
        var (pipeline, _) = NewPipeline(trust, answerBacklog: 3);
        var asked = 0;
        var request = new TaskCompletionSource<Iq>(TaskCreationOptions.RunContinuationsAsynchronously);
        var answer = new TaskCompletionSource<Iq>(TaskCreationOptions.RunContinuationsAsynchronously);
        var connection = new FakeConnection(incomingCapacity: 2)
        {
            AnswerIq = r =>
            {
                Interlocked.Increment(ref asked);
                request.TrySetResult(r);
                return answer.Task;
            },
        };
        using var context = new ConnectionContext(connection, 1);
        await trust.OnConnectedAsync(context, Token);
        var run = pipeline.RunAsync(context, Token);

        var stream = Task.Run(async () =>
        {
            for (var i = 0; i <= Behind; i++)
            {
                await connection.DeliverAsync(Stamped(i), Token);
            }

            answer.SetResult((await request.Task).ResultReply(DiscoFeature.ToElement(new DiscoInfo([], [Ns.StanzaId]))));
            await Eventually.WaitUntilAsync(() => trust.Trusted);
            await connection.DeliverAsync(Stamped(Behind + 1), Token);
        }, Token);

        await Eventually.WaitUntilAsync(() => _kit.Dispatched.OfType<MessageReceived>().Count() == Behind + 2, TimeSpan.FromSeconds(30));
        await stream.WaitAsync(Token);

        var published = _kit.Dispatched.OfType<MessageReceived>().ToList();
        Assert.Equal([.. Enumerable.Range(0, Behind + 2).Select(i => $"m{i}")], published.Select(e => e.Message.Id));
        Assert.Null(published[0].ArchiveId);
        Assert.Equal($"arc-{Behind + 1}", published[^1].ArchiveId);
        Assert.Equal(1, asked);

        connection.End();
        await run.WaitAsync(Token);
    }

    public ValueTask DisposeAsync() => _kit.DisposeAsync();

    private (InboundPipeline Pipeline, ArchiveCatchUp Archive) NewPipeline(StanzaIdTrust trust, int answerBacklog = InboundPipeline.DefaultAnswerBacklog)
    {
        var delivery = new DeliveryTracker(new MessageStatusTracker(100, TimeProvider.System), _journal, TimeProvider.System);
        var deduplicator = new InboundDeduplicator(Me, stanzaIds: trust);
        var archive = new ArchiveCatchUp(_journal, new MessagePublisher(_journal, deduplicator, TimeProvider.System), deduplicator, new ArchiveQueries(Me), cursor: null, restored: false, TimeSpan.FromSeconds(5), NullLogger.Instance);
        var outbound = new OutboundQueue("t", "s", new SessionPoolOptions(), _journal, delivery, durable: false, () => null, () => TimeSpan.FromSeconds(1), TimeProvider.System, NullLogger.Instance);
        var pipeline = new InboundPipeline(_journal, delivery, archive, outbound, TimeProvider.System, answerBacklog: answerBacklog);
        _journal.Durable = pipeline.OnDurable;
        return (pipeline, archive);
    }

    private static Message Stamped(int i) => new()
    {
        From = Peer,
        Id = $"m{i}",
        Type = MessageType.Chat,
        Body = $"message {i}",
        Payload = [new XElement(ReceiptElements.StanzaIdName, new XAttribute("by", Me.ToString()), new XAttribute("id", $"arc-{i}"))],
    };
}
