using System.Xml.Linq;
using Gateway.Tests.Fakes;
using Gateway.Tests.Pool.Journal;
using Gateway.Tests.Support;
using Gateway.Xmpp;
using Gateway.Xmpp.Client;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Journal;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Pool.Inbound;

/// <summary>Incoming stanzas into the journal: nothing counts as handled (XEP-0198) before it is committed.</summary>
public sealed class InboundPipelineTests : IAsyncDisposable
{
    private static readonly Jid Peer = Jid.Parse("peer@example.com/desk");
    private readonly JournalTestKit _kit = new();
    private readonly SessionJournal _journal;
    private readonly OutboundQueue _outbound;
    private readonly InboundPipeline _pipeline;
    private readonly ArchiveCatchUp _archive;

    public InboundPipelineTests()
    {
        _journal = _kit.Journal.Open("t", "s", 0);
        var delivery = new DeliveryTracker(new MessageStatusTracker(100, TimeProvider.System), _journal, TimeProvider.System);
        var deduplicator = new InboundDeduplicator(Jid.Parse("me@example.com"));
        _archive = new ArchiveCatchUp(_journal, new MessagePublisher(_journal, deduplicator, TimeProvider.System), deduplicator, new ArchiveQueries(Jid.Parse("me@example.com")), cursor: null, restored: false, TimeSpan.FromSeconds(5), NullLogger.Instance);
        _outbound = new OutboundQueue("t", "s", new SessionPoolOptions(), _journal, delivery, durable: false, () => null, () => TimeSpan.FromSeconds(1), TimeProvider.System, NullLogger.Instance);
        _pipeline = new InboundPipeline(_journal, delivery, _archive, _outbound, TimeProvider.System);
        _journal.Durable = _pipeline.OnDurable;
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    [Trait("Spec", "XEP-0198 §4, XEP-0184 §5")]
    public async Task Message_AcknowledgedAndReceiptedOnlyOnceCommitted()
    {
        _kit.Hold = new TaskCompletionSource();
        var connection = new FakeConnection();
        using var context = new ConnectionContext(connection, 1);
        var run = _pipeline.RunAsync(context, Token);

        connection.Deliver(new Message { From = Peer, Id = "in-1", Type = MessageType.Chat, Body = "hi", Payload = [ReceiptElements.RequestReceipt()] });
        connection.Deliver(new Presence { From = Peer });
        await WaitUntilAsync(() => _journal.Position == 2);

        Assert.Equal(0, connection.IncomingAcknowledged);
        Assert.Equal(0, _outbound.Count);
        Assert.False(_outbound.Items.TryPeek(out _)); // no receipt before the message is stored

        _kit.Hold.SetResult();
        await WaitUntilAsync(() => connection.IncomingAcknowledged == 2);
        Assert.True(_outbound.Items.TryPeek(out var receipt));
        Assert.Equal("in-1", ReceiptElements.FindAcknowledgement((Message)receipt.Stanza)?.Id);
        Assert.Equal(Peer, receipt.Stanza.To);

        connection.End();
        await run.WaitAsync(Token);
    }

    [Fact]
    [Trait("Spec", "XEP-0184 §8")]
    public async Task ReceiptRequestFromStranger_NoReceiptButStillPublishedAndAcknowledged()
    {
        var stranger = Jid.Parse("stranger@example.net/x");
        var connection = new FakeConnection { PresenceAudience = jid => jid?.Bare == Peer.Bare };
        using var context = new ConnectionContext(connection, 1);
        var run = _pipeline.RunAsync(context, Token);

        connection.Deliver(new Message { From = stranger, Id = "probe-1", Type = MessageType.Chat, Body = "online?", Payload = [ReceiptElements.RequestReceipt()] });
        connection.Deliver(new Message { From = Peer, Id = "in-2", Type = MessageType.Chat, Body = "hi", Payload = [ReceiptElements.RequestReceipt()] });
        await WaitUntilAsync(() => connection.IncomingAcknowledged == 2);

        Assert.True(_outbound.Items.TryRead(out var receipt));
        Assert.Equal(Peer, receipt.Stanza.To);
        Assert.Equal("in-2", ReceiptElements.FindAcknowledgement((Message)receipt.Stanza)?.Id);
        Assert.False(_outbound.Items.TryPeek(out _)); // none for the stranger, which came first
        Assert.Equal(2, _kit.Dispatched.OfType<MessageReceived>().Count());
        connection.End();
        await run.WaitAsync(Token);
    }

    [Fact]
    [Trait("Spec", "XEP-0359")]
    public async Task SameArchiveIdTwice_PublishedOnceButBothAcknowledged()
    {
        var connection = new FakeConnection();
        using var context = new ConnectionContext(connection, 1);
        var run = _pipeline.RunAsync(context, Token);
        var stanzaId = new XElement(ReceiptElements.StanzaIdName, new XAttribute("by", "me@example.com"), new XAttribute("id", "arc-1"));

        connection.Deliver(new Message { From = Peer, Id = "x", Type = MessageType.Chat, Body = "once", Payload = [stanzaId] });
        connection.Deliver(new Message { From = Peer, Id = "x", Type = MessageType.Chat, Body = "once", Payload = [new XElement(stanzaId)] });
        await WaitUntilAsync(() => connection.IncomingAcknowledged == 2);

        Assert.Single(_kit.Dispatched.OfType<MessageReceived>());
        Assert.Equal("arc-1", _archive.Cursor);
        connection.End();
        await run.WaitAsync(Token);
    }

    public ValueTask DisposeAsync() => _kit.DisposeAsync();

    private static Task WaitUntilAsync(Func<bool> condition) => Eventually.WaitUntilAsync(condition);
}
