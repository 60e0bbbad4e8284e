using System.Xml.Linq;
using Gateway.Tests.Pool.Journal;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;

namespace Gateway.Tests.Pool.Delivery;

/// <summary>What receipts, markers and bounces may say about the messages a session sent.</summary>
public sealed class DeliveryTrackerTests : IAsyncDisposable
{
    private static readonly Jid Bob = Jid.Parse("bob@example.com/phone");
    private static readonly Jid Mallory = Jid.Parse("mallory@example.com/laptop");
    private readonly JournalTestKit _kit = new();
    private readonly Gateway.Xmpp.Pool.Journal.SessionJournal _journal;
    private readonly DeliveryTracker _delivery;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public DeliveryTrackerTests()
    {
        _journal = _kit.Journal.Open("t", "s", 0);
        _delivery = new DeliveryTracker(new MessageStatusTracker(100, TimeProvider.System), _journal, TimeProvider.System);
        foreach (var id in new[] { "m1", "m2", "m3" })
        {
            _delivery.Track(id, Bob.Bare);
            _delivery.Sent(id);
        }
    }

    [Fact]
    [Trait("Spec", "XEP-0184 §4")]
    public async Task Receipt_CoversOnlyItsOwnMessage()
    {
        await _delivery.ApplyAsync(From(Bob, new XElement(ReceiptElements.Received, new XAttribute("id", "m2"))), Token);

        Assert.Equal(DeliveryStatus.Sent, _delivery.Get("m1")!.Status);
        Assert.Equal(DeliveryStatus.Delivered, _delivery.Get("m2")!.Status);
    }

    [Fact]
    [Trait("Spec", "XEP-0333 §3.3")]
    public async Task DisplayedMarker_CoversEarlierMessagesToTheSameContact()
    {
        await _delivery.ApplyAsync(From(Bob, new XElement(ReceiptElements.MarkerDisplayed, new XAttribute("id", "m2"))), Token);

        Assert.Equal(DeliveryStatus.Displayed, _delivery.Get("m1")!.Status);
        Assert.Equal(DeliveryStatus.Displayed, _delivery.Get("m2")!.Status);
        Assert.Equal(DeliveryStatus.Sent, _delivery.Get("m3")!.Status);
    }

    [Fact]
    [Trait("Spec", "XEP-0184 §4, RFC 6120 §8.3.1")]
    public async Task ReceiptOrBounce_FromSomeoneElse_Ignored()
    {
        await _delivery.ApplyAsync(From(Mallory, new XElement(ReceiptElements.Received, new XAttribute("id", "m1"))), Token);
        await _delivery.ApplyAsync(new Message { From = Mallory, Id = "m2", Type = MessageType.Error, Error = StanzaError.Of(StanzaErrorCondition.ItemNotFound) }, Token);

        Assert.Equal(DeliveryStatus.Sent, _delivery.Get("m1")!.Status);
        Assert.Equal(DeliveryStatus.Sent, _delivery.Get("m2")!.Status);
    }

    [Fact]
    [Trait("Spec", "RFC 6120 §8.3")]
    public async Task Bounce_FromTheRecipient_FailedWithItsCondition()
    {
        await _delivery.ApplyAsync(new Message { From = Bob.Bare, Id = "m3", Type = MessageType.Error, Error = StanzaError.Of(StanzaErrorCondition.ServiceUnavailable) }, Token);

        Assert.Equal(DeliveryStatus.Failed, _delivery.Get("m3")!.Status);
        Assert.Equal("service-unavailable", _delivery.Get("m3")!.ErrorCondition);
    }

    [Fact]
    public async Task OnlyInformativeChangesArePublished_InTheOrderTheyHappened()
    {
        await _delivery.AckedAsync("m1", Token);
        await _delivery.ApplyAsync(From(Bob, new XElement(ReceiptElements.Received, new XAttribute("id", "m1"))), Token);
        await _delivery.AckedAsync("m1", Token); // late: the status does not move back, nothing is published
        await _journal.FlushAsync(TestContext.Current.CancellationToken);

        var published = _kit.Dispatched.OfType<MessageStatusChanged>().Where(e => e.Status.MessageId == "m1").Select(e => e.Status.Status).ToArray();
        Assert.Equal([DeliveryStatus.Acked, DeliveryStatus.Delivered], published);
    }

    [Fact]
    public async Task FindAsync_NotTracked_AsksTheJournalOnce_AndALateReceiptThenApplies()
    {
        var earlier = DateTimeOffset.UtcNow.AddHours(-1);
        var asked = new List<string>();
        var delivery = new DeliveryTracker(
            new MessageStatusTracker(100, TimeProvider.System),
            _journal,
            TimeProvider.System,
            (id, _) =>
            {
                asked.Add(id);
                return Task.FromResult(id == "before-restart" ? new MessageStatus(id, Bob.Bare, DeliveryStatus.Acked, earlier, earlier) : null);
            });

        Assert.Equal(DeliveryStatus.Acked, (await delivery.FindAsync("before-restart", Token))?.Status);
        Assert.Null(await delivery.FindAsync("never-sent", Token));
        await delivery.ApplyAsync(From(Bob, new XElement(ReceiptElements.Received, new XAttribute("id", "before-restart"))), Token);

        Assert.Equal(DeliveryStatus.Delivered, delivery.Get("before-restart")!.Status);
        Assert.Equal(["before-restart", "never-sent"], asked); // recalled once, then tracked
    }

    [Fact]
    [Trait("Spec", "XEP-0333 §3.3")]
    public void Recall_KeepsAcceptanceOrder_SoAMarkerCoversOnlyEarlierMessages()
    {
        var statuses = new MessageStatusTracker(100, TimeProvider.System);
        var t0 = DateTimeOffset.UtcNow;
        statuses.Track("new-1", Bob.Bare);
        statuses.Recall(new MessageStatus("old-1", Bob.Bare, DeliveryStatus.Acked, t0.AddHours(-2), t0.AddHours(-2)));
        statuses.Recall(new MessageStatus("old-2", Bob.Bare, DeliveryStatus.Acked, t0.AddHours(-1), t0.AddHours(-1)));

        var moved = statuses.AdvanceThrough("old-2", Bob, DeliveryStatus.Displayed);

        Assert.Equal(["old-1", "old-2"], moved.Select(m => m.MessageId));
        Assert.Equal(DeliveryStatus.Queued, statuses.Get("new-1")!.Status);
    }

    public ValueTask DisposeAsync() => _kit.DisposeAsync();

    private static Message From(Jid from, XElement payload) => new() { From = from, Type = MessageType.Chat, Id = StanzaId.New(), Payload = [payload] };
}
