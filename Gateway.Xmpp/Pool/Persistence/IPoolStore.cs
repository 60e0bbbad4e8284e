namespace Gateway.Xmpp.Pool.Persistence;

/// <summary>
/// Everything the pool keeps across restarts, behind one object so that events, outbox changes and archive cursors
/// commit together: session definitions (<see cref="ISessionStore"/>), the event journal (<see cref="IEventLog"/>,
/// its read side) and the outbox (<see cref="IOutbox"/>, its read side). Every journal and outbox write goes through
/// <see cref="CommitAsync"/>.
/// </summary>
public interface IPoolStore : ISessionStore, IEventLog, IOutbox, IRoomStore
{
    /// <summary>
    /// Stores the batch in one transaction, merged with whatever other batches are queued at that moment (group
    /// commit); durable when the task completes. Idempotent: an event id or outbox stanza id already stored is left as
    /// it is, so a batch retried after an ambiguous failure is not duplicated. Within a batch, outbox additions apply
    /// before removals. The batch is read before the method returns: the caller may reuse it once the task completed.
    /// </summary>
    Task CommitAsync(JournalBatch batch, CancellationToken cancellationToken = default);

    /// <summary>
    /// Forgets a removed session's events, journal head, archive cursor and outbox entries; no error when unknown.
    /// (<see cref="ISessionStore.DeleteAsync"/> forgets its definition.)
    /// </summary>
    Task DeleteSessionDataAsync(string tenant, string sessionId, CancellationToken cancellationToken = default);
}

/// <summary>
/// What one <see cref="IPoolStore.CommitAsync"/> writes. Reusable: fill it, commit it, <see cref="Clear"/> it.
/// </summary>
public sealed class JournalBatch
{
    /// <summary>Events to journal; per session their ids increase, in this order.</summary>
    public List<SessionEvent> Events { get; } = [];

    /// <summary>Accepted stanzas to keep until the server acknowledged them.</summary>
    public List<OutboxEntry> OutboxAdditions { get; } = [];

    /// <summary>Stanzas that need no resending any more; unknown ones are no error.</summary>
    public List<OutboxKey> OutboxRemovals { get; } = [];

    /// <summary>Archive cursors to record; per session the last one in the batch wins.</summary>
    public List<ArchiveCursor> ArchiveCursors { get; } = [];

    public bool IsEmpty => Events.Count == 0 && OutboxAdditions.Count == 0 && OutboxRemovals.Count == 0 && ArchiveCursors.Count == 0;

    public void Clear()
    {
        Events.Clear();
        OutboxAdditions.Clear();
        OutboxRemovals.Clear();
        ArchiveCursors.Clear();
    }
}

/// <summary>Names one outbox entry.</summary>
public readonly record struct OutboxKey(string Tenant, string SessionId, string StanzaId);

/// <summary>
/// The XEP-0313 archive id (XEP-0359 stanza-id) up to which the session has accounted for every message it received:
/// where a catch-up from the account's archive starts after a restart.
/// </summary>
public sealed record ArchiveCursor(string Tenant, string SessionId, string ArchiveId);
