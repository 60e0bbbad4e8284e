using System.Xml.Linq;
using Gateway.Tests.Pool.Journal;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;

namespace Gateway.Tests.Pool.Inbound;

/// <summary>Repeats recognised beyond what memory holds: delayed copies are looked up in the journal by archive id.</summary>
public sealed class MessagePublisherTests : IAsyncDisposable
{
    private static readonly Jid Peer = Jid.Parse("peer@example.com/desk");
    private static readonly Jid Me = Jid.Parse("me@example.com");
    private readonly JournalTestKit _kit = new();
    private readonly List<string> _asked = [];
    private readonly Gateway.Xmpp.Pool.Journal.SessionJournal _journal;
    private readonly MessagePublisher _publisher;

    public MessagePublisherTests()
    {
        var journal = _journal = _kit.Journal.Open("t", "s", 0);
        _publisher = new MessagePublisher(journal, new InboundDeduplicator(Me), TimeProvider.System, (archiveId, _) =>
        {
            lock (_asked)
            {
                _asked.Add(archiveId);
            }

            // What an earlier process journaled, long before this one's memory begins.
            return Task.FromResult(archiveId == "arc-old");
        });
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    [Trait("Spec", "XEP-0203, XEP-0359")]
    public async Task DelayedCopyOfAJournaledMessage_NotPublishedAgain()
    {
        // Prosody's mod_smacks stores an abandoned stream's unacknowledged messages offline and delivers them again later.
        var published = await _publisher.PublishAsync(Chat("arc-old", delayed: true), null, Token);

        Assert.False(published);
        Assert.Equal(["arc-old"], _asked);
        Assert.False(await _publisher.PublishAsync(Chat("arc-old", delayed: true), null, Token)); // remembered now: no second lookup
        Assert.Equal(["arc-old"], _asked);
    }

    [Fact]
    public async Task DelayedNewMessage_PublishedWithItsArchiveId_LiveMessage_PublishedWithoutALookup()
    {
        Assert.True(await _publisher.PublishAsync(Chat("arc-new", delayed: true), null, Token));
        Assert.True(await _publisher.PublishAsync(Chat("arc-old", delayed: false), null, Token));

        await _journal.FlushAsync(Token);
        Assert.Equal(["arc-new"], _asked);
        Assert.Equal(["arc-new", "arc-old"], _kit.Dispatched.OfType<MessageReceived>().Select(e => e.ArchiveId));
    }

    public ValueTask DisposeAsync() => _kit.DisposeAsync();

    private static Message Chat(string archiveId, bool delayed)
    {
        var payload = new List<XElement> { new(ReceiptElements.StanzaIdName, new XAttribute("by", Me.ToString()), new XAttribute("id", archiveId)) };
        if (delayed)
        {
            payload.Add(new XElement(XName.Get("delay", "urn:xmpp:delay"), new XAttribute("stamp", "2026-12-06T08:52:29Z")));
        }

        return new Message { From = Peer, Id = "m-" + archiveId, Type = MessageType.Chat, Body = "hello", Payload = [.. payload] };
    }
}
