using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Persistence;

namespace Gateway.Api.Persistence;

/// <summary>
/// What the SQL gateway stores (SQLite, PostgreSQL) share above their parts: each read and write of
/// <see cref="IPoolStore"/> that is not a journal commit goes to the part whose job it is (the session definitions,
/// the journal's reads and retention, the outbox's reads, the rooms). A provider supplies its parts, its journal
/// commit and the removal of a session's data, which both do in one transaction of their own SQL.
/// </summary>
internal abstract class PartitionedPoolStore : IPoolStore
{
    public bool IsDurable => true;

    /// <summary>Session definitions.</summary>
    protected abstract ISessionStore Sessions { get; }

    /// <summary>The journal's reads and retention.</summary>
    protected abstract IEventLog Events { get; }

    /// <summary>The outbox's reads (its writes go with the journal's commits).</summary>
    protected abstract IOutbox Outbox { get; }

    /// <summary>Joined rooms.</summary>
    protected abstract IRoomStore Rooms { get; }

    public abstract Task CommitAsync(JournalBatch batch, CancellationToken cancellationToken = default);

    public abstract Task DeleteSessionDataAsync(string tenant, string sessionId, CancellationToken cancellationToken = default);

    public Task SaveAsync(StoredSession session, CancellationToken cancellationToken = default) => Sessions.SaveAsync(session, cancellationToken);

    public Task DeleteAsync(string tenant, string sessionId, CancellationToken cancellationToken = default) => Sessions.DeleteAsync(tenant, sessionId, cancellationToken);

    public Task<IReadOnlyList<StoredSession>> LoadAllAsync(CancellationToken cancellationToken = default) => Sessions.LoadAllAsync(cancellationToken);

    public Task<StoredSession?> FindAsync(string tenant, string sessionId, CancellationToken cancellationToken = default) => Sessions.FindAsync(tenant, sessionId, cancellationToken);

    public Task<EventPage> ReadAsync(string tenant, string sessionId, long afterEventId, int limit, long maxBytes, CancellationToken cancellationToken = default) =>
        Events.ReadAsync(tenant, sessionId, afterEventId, limit, maxBytes, cancellationToken);

    public Task<JournalHead> GetHeadAsync(string tenant, string sessionId, CancellationToken cancellationToken = default) =>
        Events.GetHeadAsync(tenant, sessionId, cancellationToken);

    public Task<MessageStatus?> FindMessageStatusAsync(string tenant, string sessionId, string messageId, CancellationToken cancellationToken = default) =>
        Events.FindMessageStatusAsync(tenant, sessionId, messageId, cancellationToken);

    public Task<bool> HasReceivedMessageAsync(string tenant, string sessionId, string archiveId, CancellationToken cancellationToken = default) =>
        Events.HasReceivedMessageAsync(tenant, sessionId, archiveId, cancellationToken);

    public Task TrimAsync(int maxEventsPerSession, DateTimeOffset olderThan, CancellationToken cancellationToken = default) =>
        Events.TrimAsync(maxEventsPerSession, olderThan, cancellationToken);

    public Task TrimToBytesAsync(long maxBytesPerSession, CancellationToken cancellationToken = default) =>
        Events.TrimToBytesAsync(maxBytesPerSession, cancellationToken);

    public Task<IReadOnlyList<OutboxEntry>> LoadAsync(string tenant, string sessionId, CancellationToken cancellationToken = default) =>
        Outbox.LoadAsync(tenant, sessionId, cancellationToken);

    public Task SaveRoomAsync(StoredRoom room, CancellationToken cancellationToken = default) => Rooms.SaveRoomAsync(room, cancellationToken);

    public Task DeleteRoomAsync(string tenant, string sessionId, Jid room, CancellationToken cancellationToken = default) =>
        Rooms.DeleteRoomAsync(tenant, sessionId, room, cancellationToken);

    public Task<IReadOnlyList<StoredRoom>> LoadRoomsAsync(string tenant, string sessionId, CancellationToken cancellationToken = default) =>
        Rooms.LoadRoomsAsync(tenant, sessionId, cancellationToken);
}
