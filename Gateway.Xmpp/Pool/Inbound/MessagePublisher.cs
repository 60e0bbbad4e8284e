using Gateway.Xmpp.Pool.Journal;

namespace Gateway.Xmpp.Pool;

/// <summary>
/// Publishes a session's incoming messages — live ones and those caught up from the archive alike — exactly once:
/// a repeat (<see cref="InboundDeduplicator"/>) is dropped, everything else goes to the journal in the order given.
/// </summary>
internal sealed class MessagePublisher(SessionJournal journal, InboundDeduplicator deduplicator, TimeProvider time)
{
    /// <summary>Publishes the message unless it is a repeat; returns whether it was published. Waits while the journal is full.</summary>
    public async ValueTask<bool> PublishAsync(Message message, string? archiveId, CancellationToken cancellationToken)
    {
        // Room first: a message remembered as published must then be published, whatever the wait.
        await journal.WaitForCapacityAsync(cancellationToken).ConfigureAwait(false);
        if (!deduplicator.TryRemember(message, archiveId))
        {
            journal.ReleaseCapacity();
            return false;
        }

        journal.Publish(new MessageReceived(journal.Tenant, journal.SessionId, 0, time.GetUtcNow(), message), reserved: true);
        return true;
    }
}
