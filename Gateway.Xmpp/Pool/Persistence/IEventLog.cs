namespace Gateway.Xmpp.Pool.Persistence;

/// <summary>
/// The per-session journal of events. The pool appends every event before it is dispatched, so a
/// subscriber that comes back with its last event id can be given exactly what it missed.
/// </summary>
public interface IEventLog
{
    /// <summary>Appends events (in order; ids increase per session). Durable when the task completes.</summary>
    Task AppendAsync(IReadOnlyList<SessionEvent> events, CancellationToken cancellationToken = default);

    /// <summary>The session's events with an id greater than <paramref name="afterEventId"/>, oldest first, at most <paramref name="limit"/>.</summary>
    Task<EventPage> ReadAsync(string tenant, string sessionId, long afterEventId, int limit, CancellationToken cancellationToken = default);

    /// <summary>The highest event id stored for the session, 0 when none: numbering continues from it after a restart.</summary>
    Task<long> GetLastEventIdAsync(string tenant, string sessionId, CancellationToken cancellationToken = default);

    /// <summary>Drops events beyond the retention: more than <paramref name="maxEventsPerSession"/> per session, or older than <paramref name="olderThan"/>.</summary>
    Task TrimAsync(int maxEventsPerSession, DateTimeOffset olderThan, CancellationToken cancellationToken = default);

    /// <summary>Forgets every event of a removed session.</summary>
    Task DeleteSessionAsync(string tenant, string sessionId, CancellationToken cancellationToken = default);
}

/// <summary>
/// A page of a session's events. <see cref="Gap"/> is true when events after the requested id were already
/// dropped by retention: the reader missed events that can no longer be given, and must be told so.
/// </summary>
/// <param name="Events">The events, oldest first.</param>
/// <param name="OldestAvailableEventId">The oldest id still stored for the session, 0 when none.</param>
/// <param name="LastEventId">The newest id stored for the session, 0 when none.</param>
/// <param name="Gap">Events between the requested id and <see cref="OldestAvailableEventId"/> are gone.</param>
public sealed record EventPage(IReadOnlyList<SessionEvent> Events, long OldestAvailableEventId, long LastEventId, bool Gap);
