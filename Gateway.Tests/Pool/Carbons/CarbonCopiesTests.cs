using Gateway.Tests.Fakes;
using Gateway.Tests.Pool.Journal;
using Gateway.Tests.Support;
using Gateway.Xmpp;
using Gateway.Xmpp.Client;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Journal;
using Gateway.Xmpp.Pool.Persistence;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Pool.Carbons;

/// <summary>Which carbon copies a session believes (XEP-0280 §11), and what the inbound pipeline does with them.</summary>
[Trait("Tier", "Unit")]
public sealed class CarbonCopiesTests : IAsyncDisposable
{
    private static readonly Jid Account = Jid.Parse("me@example.com");
    private static readonly Jid Bound = Jid.Parse("me@example.com/gateway");
    private static readonly Jid Phone = Jid.Parse("me@example.com/phone");
    private static readonly Jid Peer = Jid.Parse("peer@example.com/desk");
    private readonly CarbonCopies _carbons = new(Account, "t", "s", NullLogger.Instance);
    private readonly JournalTestKit _kit = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static Message Copy(CarbonDirection direction, Message inner, Jid? from = null) =>
        CarbonElements.Wrap(direction, inner, from ?? Account, Bound);

    private static Message FromPeerToPhone(string id = "p1") =>
        new() { From = Peer, To = Phone, Id = id, Type = MessageType.Chat, Body = "to the phone", Payload = [ReceiptElements.RequestReceipt()] };

    private static Message FromPhoneToPeer(string id = "s1") =>
        new() { From = Phone, To = Peer.Bare, Id = id, Type = MessageType.Chat, Body = "from the phone" };

    [Fact]
    public void Classify_PlainMessage_Plain()
    {
        var message = new Message { From = Peer, Body = "hi" };

        Assert.Equal(new InboundMessage(InboundKind.Plain, message, null), _carbons.Classify(message, Bound));
    }

    [Fact]
    [Trait("Spec", "XEP-0280 §7, §8")]
    public void Classify_GenuineCopies_UnwrappedWithDirection()
    {
        var received = _carbons.Classify(Copy(CarbonDirection.Received, FromPeerToPhone()), Bound);
        var sent = _carbons.Classify(Copy(CarbonDirection.Sent, FromPhoneToPeer()), Bound);

        Assert.Equal((InboundKind.Carbon, CarbonDirection.Received, "p1", Peer), (received.Kind, received.Carbon, received.Message.Id, received.Message.From));
        Assert.Equal((InboundKind.Carbon, CarbonDirection.Sent, "s1", Phone), (sent.Kind, sent.Carbon, sent.Message.Id, sent.Message.From));
    }

    [Theory]
    [Trait("Spec", "XEP-0280 §11")]
    [InlineData("mallory@evil.example")]
    [InlineData("mallory@evil.example/x")]
    [InlineData("me@example.com/phone")]
    [InlineData("example.com")]
    public void Classify_WrapperNotFromTheAccountsBareJid_Dropped(string from)
    {
        var forged = Copy(CarbonDirection.Received, FromPeerToPhone(), Jid.Parse(from));

        Assert.Equal(InboundKind.Dropped, _carbons.Classify(forged, Bound).Kind);
    }

    [Fact]
    public void Classify_WrapperWithoutFrom_Dropped()
    {
        Assert.Equal(InboundKind.Dropped, _carbons.Classify(Copy(CarbonDirection.Received, FromPeerToPhone()) with { From = null }, Bound).Kind);
    }

    [Fact]
    public void Classify_CopiesOfOthersMessagesOrOwnEcho_Dropped()
    {
        // A "sent" copy of someone else's message, a "received" copy of a message to someone else, and a copy of what
        // this very resource sent (XEP-0280 §8: never copied back to the sender).
        Assert.Equal(InboundKind.Dropped, _carbons.Classify(Copy(CarbonDirection.Sent, FromPeerToPhone()), Bound).Kind);
        Assert.Equal(InboundKind.Dropped, _carbons.Classify(Copy(CarbonDirection.Received, FromPhoneToPeer()), Bound).Kind);
        Assert.Equal(InboundKind.Dropped, _carbons.Classify(Copy(CarbonDirection.Sent, FromPhoneToPeer() with { From = Bound }), Bound).Kind);
        Assert.Equal(InboundKind.Dropped, _carbons.Classify(new Message { From = Account, Payload = [new System.Xml.Linq.XElement(CarbonElements.SentName)] }, Bound).Kind);
    }

    [Fact]
    [Trait("Spec", "XEP-0280 §10.4, §11")]
    public async Task Pipeline_GenuineCopyPublishedMarkedWithoutReceipt_ForgedOneDropped()
    {
        var journal = _kit.Journal.Open("t", "s", 0);
        var delivery = new DeliveryTracker(new MessageStatusTracker(100, TimeProvider.System), journal, TimeProvider.System);
        var deduplicator = new InboundDeduplicator(Account);
        var archive = new ArchiveCatchUp(journal, new MessagePublisher(journal, deduplicator, TimeProvider.System), deduplicator, new ArchiveQueries(Account), cursor: null, restored: false, TimeSpan.FromSeconds(5), NullLogger.Instance);
        var outbound = new OutboundQueue("t", "s", new SessionPoolOptions(), journal, delivery, durable: false, () => null, () => TimeSpan.FromSeconds(1), TimeProvider.System, NullLogger.Instance);
        var pipeline = new InboundPipeline(journal, delivery, archive, outbound, TimeProvider.System, carbons: _carbons);
        journal.Durable = pipeline.OnDurable;
        var connection = new FakeConnection { Jid = Bound };
        using var context = new ConnectionContext(connection, 1);
        var run = pipeline.RunAsync(context, Token);

        connection.Deliver(Copy(CarbonDirection.Received, FromPeerToPhone("p1")));
        connection.Deliver(Copy(CarbonDirection.Received, FromPeerToPhone("forged")) with { From = Jid.Parse("mallory@evil.example/x") });
        connection.Deliver(Copy(CarbonDirection.Sent, FromPhoneToPeer("s1")));
        connection.Deliver(new Message { From = Peer, To = Bound, Id = "sentinel", Type = MessageType.Chat, Body = "direct" });
        await WaitUntilAsync(() => connection.IncomingAcknowledged == 4);

        var published = _kit.Dispatched.OfType<MessageReceived>().ToList();
        Assert.Equal(["p1", "s1", "sentinel"], published.Select(e => e.Message.Id));
        Assert.Equal([CarbonDirection.Received, CarbonDirection.Sent, null], published.Select(e => e.Carbon));

        // The copy asked for a receipt, but the phone answers it; the gateway never auto-replies to a copy.
        Assert.False(outbound.Items.TryPeek(out _));
        connection.End();
        await run.WaitAsync(Token);
    }

    [Fact]
    public void Codec_CarbonEvent_RoundTripsMarked_ReceivedWrapperStaysAsIs()
    {
        var carbon = new MessageReceived("t", "s", 7, DateTimeOffset.UnixEpoch, FromPhoneToPeer()) { Carbon = CarbonDirection.Sent };

        var decoded = (MessageReceived)SessionEventCodec.Decode("t", "s", 7, DateTimeOffset.UnixEpoch, SessionEventCodec.MessageKind, SessionEventCodec.Encode(carbon));

        Assert.Equal(CarbonDirection.Sent, decoded.Carbon);
        Assert.Equal((Phone, Peer.Bare, "s1", "from the phone"), (decoded.Message.From, decoded.Message.To, decoded.Message.Id, decoded.Message.Body));

        // A wrapper stored as received (with its 'from', e.g. a stranger's forgery kept before copies were unwrapped)
        // is not turned into a marked copy when read back.
        var stored = new MessageReceived("t", "s", 8, DateTimeOffset.UnixEpoch, Copy(CarbonDirection.Received, FromPeerToPhone(), Jid.Parse("mallory@evil.example/x")));
        var plain = (MessageReceived)SessionEventCodec.Decode("t", "s", 8, DateTimeOffset.UnixEpoch, SessionEventCodec.MessageKind, SessionEventCodec.Encode(stored));
        Assert.Null(plain.Carbon);
        Assert.True(CarbonElements.IsWrapper(plain.Message));
    }

    public ValueTask DisposeAsync() => _kit.DisposeAsync();

    private static Task WaitUntilAsync(Func<bool> condition) => Eventually.WaitUntilAsync(condition);
}
