// XEP-0184: Message Delivery Receipts (v1.4.0) https://xmpp.org/extensions/xep-0184.html
// XEP-0333: Displayed Markers (v0.4.1) https://xmpp.org/extensions/xep-0333.html
using Gateway.Xmpp.Pool.Journal;

namespace Gateway.Xmpp.Pool;

/// <summary>
/// The delivery status of a session's outgoing messages, and the events that report it. Every status is kept (for
/// <c>GET …/messages/{id}</c>), but only the changes that tell a subscriber something the send's own answer did not are
/// published: <see cref="DeliveryStatus.Acked"/>, <see cref="DeliveryStatus.Delivered"/>,
/// <see cref="DeliveryStatus.Displayed"/> and <see cref="DeliveryStatus.Failed"/>. <see cref="DeliveryStatus.Queued"/> is
/// what the accepted send already answered, and <see cref="DeliveryStatus.Sent"/> lasts microseconds; journaling
/// them would triple the rows written per message.
/// </summary>
/// <remarks>
/// A status change and its event are decided under one lock, so a message's events reach the journal in the order
/// its status moved, whichever threads report the changes (the sender, acknowledgements, incoming receipts).
/// </remarks>
/// <param name="statuses">The statuses tracked in memory.</param>
/// <param name="journal">Where status changes are published.</param>
/// <param name="time">The clock.</param>
/// <param name="journaled">The last status the journal holds for a message, for those not tracked in memory; null when there is no journal to ask.</param>
internal sealed class DeliveryTracker(MessageStatusTracker statuses, SessionJournal journal, TimeProvider time, Func<string, CancellationToken, Task<MessageStatus?>>? journaled = null)
{
    private readonly object _gate = new();

    /// <summary>The status tracked in memory; null when not tracked.</summary>
    public MessageStatus? Get(string messageId) => statuses.Get(messageId);

    /// <summary>
    /// The message's status: tracked in memory, else the last one journaled (a message an earlier gateway process
    /// sent, or one forgotten beyond the capacity), which is tracked again so that a late receipt or marker for it
    /// still applies. Null when neither knows it.
    /// </summary>
    public async ValueTask<MessageStatus?> FindAsync(string messageId, CancellationToken cancellationToken = default)
    {
        if (statuses.Get(messageId) is { } tracked)
        {
            return tracked;
        }

        return journaled is not null && await journaled(messageId, cancellationToken).ConfigureAwait(false) is { } stored
            ? statuses.Recall(stored)
            : null;
    }

    /// <summary>Starts tracking an accepted message in <see cref="DeliveryStatus.Queued"/>.</summary>
    public void Track(string messageId, Jid? to) => statuses.Track(messageId, to);

    /// <summary>The message was written to the connection.</summary>
    public void Sent(string messageId) => statuses.Advance(messageId, DeliveryStatus.Sent);

    /// <summary>The server acknowledged the message (XEP-0198).</summary>
    public ValueTask AckedAsync(string messageId, CancellationToken cancellationToken = default) =>
        ChangeAsync(() => statuses.Advance(messageId, DeliveryStatus.Acked) is { } acked ? [acked] : [], cancellationToken);

    /// <summary>The message failed (the server or recipient bounced it, or it can never be sent).</summary>
    public ValueTask FailedAsync(string messageId, string condition, string? text, CancellationToken cancellationToken = default) =>
        ChangeAsync(() => statuses.Fail(messageId, condition, text) is { } failed ? [failed] : [], cancellationToken);

    /// <summary>
    /// Applies what an incoming message says about messages we sent: a XEP-0184 receipt (delivered: that message only),
    /// a XEP-0333 marker (received or displayed: that message and the earlier ones to the same contact, §3.3), or an
    /// error bounce (failed). Only the recipient of a message can move it: a receipt, marker or bounce from anyone else
    /// is ignored (RFC 6120 §8.3.1: an error is returned from the address the stanza was sent to). Returns whether the
    /// message was one of those.
    /// </summary>
    public async ValueTask<bool> ApplyAsync(Message message, CancellationToken cancellationToken = default)
    {
        if (message.From is not { } from)
        {
            return false;
        }

        if (message.Type == MessageType.Error && message.Id is { } bounced)
        {
            await FindAsync(bounced, cancellationToken).ConfigureAwait(false);
            var error = message.Error ?? StanzaError.Of(StanzaErrorCondition.UndefinedCondition);
            await ChangeAsync(() => statuses.Fail(bounced, error.Condition.ToWire(), error.Text, from) is { } failed ? [failed] : [], cancellationToken).ConfigureAwait(false);
            return true;
        }

        var acknowledgement = ReceiptElements.FindAcknowledgement(message);
        if (acknowledgement is not null)
        {
            await FindAsync(acknowledgement.Id, cancellationToken).ConfigureAwait(false);
        }

        switch (acknowledgement)
        {
            case { Kind: AcknowledgementKind.Receipt } receipt:
                await ChangeAsync(() => statuses.Advance(receipt.Id, DeliveryStatus.Delivered, from) is { } delivered ? [delivered] : [], cancellationToken).ConfigureAwait(false);
                return true;
            case { } marker:
                var reached = marker.Kind == AcknowledgementKind.Displayed ? DeliveryStatus.Displayed : DeliveryStatus.Delivered;
                await ChangeAsync(() => statuses.AdvanceThrough(marker.Id, from, reached), cancellationToken).ConfigureAwait(false);
                return true;
            default:
                return false;
        }
    }

    private async ValueTask ChangeAsync(Func<IReadOnlyList<MessageStatus>> change, CancellationToken cancellationToken)
    {
        // One slot reserved before the lock: the lock never waits for the journal. Further events of the same change
        // (a marker covering several messages) go over the bound; they are few.
        await journal.WaitForCapacityAsync(cancellationToken).ConfigureAwait(false);
        var reservationUsed = false;
        lock (_gate)
        {
            foreach (var changed in change())
            {
                journal.Publish(new MessageStatusChanged(journal.Tenant, journal.SessionId, 0, time.GetUtcNow(), changed), reserved: !reservationUsed);
                reservationUsed = true;
            }
        }

        if (!reservationUsed)
        {
            journal.ReleaseCapacity();
        }
    }
}
