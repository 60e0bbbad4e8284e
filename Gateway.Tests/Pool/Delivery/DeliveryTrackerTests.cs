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

    [Fact]
    [Trait("Spec", "XEP-0333 §3.3")]
    public void Recall_PlacesEachByAcceptanceTime_OlderThanEverythingAtCapacityNotKept()
    {
        var statuses = new MessageStatusTracker(4, TimeProvider.System);
        var t0 = DateTimeOffset.UtcNow.AddHours(-10);
        MessageStatus At(string id, int minutes) => new(id, Bob.Bare, DeliveryStatus.Acked, t0.AddMinutes(minutes), t0.AddMinutes(minutes));

        statuses.Recall(At("m20", 20));
        statuses.Recall(At("m10", 10)); // older than everything, room left: first
        statuses.Recall(At("m30", 30)); // newer than everything: last
        statuses.Recall(At("m15", 15)); // in between

        // Full: one older than everything would be the first forgotten, so it is not kept.
        Assert.Equal("m5", statuses.Recall(At("m5", 5)).MessageId);
        Assert.Null(statuses.Get("m5"));

        // One in between pushes the oldest out.
        statuses.Recall(At("m25", 25));
        Assert.Null(statuses.Get("m10"));

        // A displayed marker covers exactly the earlier ones, so the order is the acceptance order.
        var moved = statuses.AdvanceThrough("m25", Bob, DeliveryStatus.Displayed);
        Assert.Equal(["m15", "m20", "m25"], moved.Select(m => m.MessageId));
        Assert.Equal(DeliveryStatus.Acked, statuses.Get("m30")!.Status);
    }

    public ValueTask DisposeAsync() => _kit.DisposeAsync();

    private static Message From(Jid from, XElement payload) => new() { From = from, Type = MessageType.Chat, Id = StanzaId.New(), Payload = [payload] };
}
