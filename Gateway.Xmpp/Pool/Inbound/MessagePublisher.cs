using Gateway.Xmpp.Pool.Journal;

namespace Gateway.Xmpp.Pool;

/// <summary>
/// Publishes a session's incoming messages — live ones and those caught up from the archive alike — exactly once:
/// a repeat (<see cref="InboundDeduplicator"/>) is dropped, everything else goes to the journal in the order given.
/// </summary>
/// <param name="journal">Where messages are published.</param>
/// <param name="deduplicator">What was published recently.</param>
/// <param name="time">The clock.</param>
/// <param name="journaledArchiveId">Whether the journal holds a received message with this archive id; null when there is no journal to ask.</param>
internal sealed class MessagePublisher(SessionJournal journal, InboundDeduplicator deduplicator, TimeProvider time, Func<string, CancellationToken, Task<bool>>? journaledArchiveId = null)
{
    /// <summary>Publishes the message unless it is a repeat; returns whether it was published. Waits while the journal is full.</summary>
    public ValueTask<bool> PublishAsync(Message message, string? archiveId, CancellationToken cancellationToken) =>
        PublishAsync(message, archiveId, carbon: null, cancellationToken);

    /// <summary>Publishes the message, marked as a XEP-0280 carbon copy when <paramref name="carbon"/> is set, unless it is a repeat.</summary>
    public async ValueTask<bool> PublishAsync(Message message, string? archiveId, CarbonDirection? carbon, CancellationToken cancellationToken)
    {
        archiveId ??= deduplicator.ArchiveIdOf(message);

        // A delayed message (XEP-0203: from offline storage, or resent) may repeat one published long ago, beyond what
        // memory holds. Prosody's mod_smacks, for one, stores the unacknowledged stanzas of a stream the session
        // abandoned (it bound a new one instead of resuming) in offline storage when it finally drops that stream,
        // minutes later or at a server restart, and delivers them again with the next initial presence; the archive
        // catch-up had published them already. The journal knows them by their archive id.
        if (archiveId is not null && journaledArchiveId is not null && message.FindPayload(DelayName) is not null
            && !deduplicator.Contains(message, archiveId)
            && await journaledArchiveId(archiveId, cancellationToken).ConfigureAwait(false))
        {
            deduplicator.TryRemember(message, archiveId);
            return false;
        }

        // Room first: a message remembered as published must then be published, whatever the wait.
        await journal.WaitForCapacityAsync(cancellationToken).ConfigureAwait(false);
        if (!deduplicator.TryRemember(message, archiveId))
        {
            journal.ReleaseCapacity();
            return false;
        }

        journal.Publish(new MessageReceived(journal.Tenant, journal.SessionId, 0, time.GetUtcNow(), message) { ArchiveId = archiveId, Carbon = carbon }, reserved: true);
        return true;
    }

    private static readonly System.Xml.Linq.XName DelayName = System.Xml.Linq.XName.Get("delay", Protocol.Ns.Delay);
}
