namespace Gateway.Xmpp.Pool.Persistence;

/// <summary>
/// The read side of the per-session journal of events. The pool commits every event (<see cref="IPoolStore.CommitAsync"/>)
/// before it is dispatched, so a subscriber that comes back with its last event id can be given exactly what it missed.
/// </summary>
public interface IEventLog
{
    /// <summary>
    /// The session's events with an id greater than <paramref name="afterEventId"/>, oldest first: at most
    /// <paramref name="limit"/> events and about <paramref name="maxBytes"/> of stored payload, though always at least
    /// one event when there is one after <paramref name="afterEventId"/> (and <paramref name="limit"/> is not 0).
    /// </summary>
    Task<EventPage> ReadAsync(string tenant, string sessionId, long afterEventId, int limit, long maxBytes, CancellationToken cancellationToken = default);

    /// <summary>Where the session's journal stands: numbering continues from it after a restart.</summary>
    Task<JournalHead> GetHeadAsync(string tenant, string sessionId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The newest delivery status journaled for a message the session sent (its last <see cref="MessageStatusChanged"/>
    /// event still retained), or null when none is: how a restarted gateway still knows what became of a message.
    /// </summary>
    Task<MessageStatus?> FindMessageStatusAsync(string tenant, string sessionId, string messageId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Whether a received message with this archive id (<see cref="MessageReceived.ArchiveId"/>) is still journaled: how a
    /// repeat delivered long after the first copy (e.g. from offline storage) is recognised.
    /// </summary>
    Task<bool> HasReceivedMessageAsync(string tenant, string sessionId, string archiveId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Drops events beyond the retention: more than <paramref name="maxEventsPerSession"/> per session, or older than
    /// <paramref name="olderThan"/>. Journal heads are kept.
    /// </summary>
    Task TrimAsync(int maxEventsPerSession, DateTimeOffset olderThan, CancellationToken cancellationToken = default);

    /// <summary>
    /// Drops each session's oldest events until the stored payload of those left (measured as
    /// <see cref="ReadAsync"/> measures it) is at most <paramref name="maxBytesPerSession"/>; the newest event is kept
    /// whatever its size. A reader asking after a dropped id is told so by <see cref="EventPage.Gap"/>. Journal heads are kept.
    /// </summary>
    Task TrimToBytesAsync(long maxBytesPerSession, CancellationToken cancellationToken = default);
}

/// <summary>Where a session's journal stands.</summary>
/// <param name="LastEventId">The highest event id ever committed for the session, 0 when none; it survives trimming.</param>
/// <param name="ArchiveCursor">The last archive cursor committed (<see cref="Persistence.ArchiveCursor.ArchiveId"/>), null when none.</param>
public sealed record JournalHead(long LastEventId, string? ArchiveCursor);

/// <summary>
/// A page of a session's events. <see cref="Gap"/> is true when events after the requested id were already
/// dropped by retention: the reader missed events that can no longer be given, and must be told so.
/// </summary>
/// <param name="Events">The events, oldest first.</param>
/// <param name="OldestAvailableEventId">The oldest id still stored for the session, 0 when none.</param>
/// <param name="LastEventId">The newest id stored for the session, 0 when none.</param>
/// <param name="Gap">Events between the requested id and <see cref="OldestAvailableEventId"/> are gone.</param>
public sealed record EventPage(IReadOnlyList<SessionEvent> Events, long OldestAvailableEventId, long LastEventId, bool Gap);
