using System.Collections.Immutable;

namespace Gateway.Xmpp.Pool.Persistence;

/// <summary>
/// The rooms (XEP-0045) each session is in, so that a gateway restart enters them again. A room's password is a
/// secret: an implementation must encrypt it at rest and never log it.
/// </summary>
public interface IRoomStore
{
    /// <summary>Inserts or replaces the session's membership of the room.</summary>
    Task SaveRoomAsync(StoredRoom room, CancellationToken cancellationToken = default);

    /// <summary>Forgets the session's membership of the room; no error when unknown.</summary>
    Task DeleteRoomAsync(string tenant, string sessionId, Jid room, CancellationToken cancellationToken = default);

    /// <summary>The rooms the session is in, ordered by room JID.</summary>
    Task<IReadOnlyList<StoredRoom>> LoadRoomsAsync(string tenant, string sessionId, CancellationToken cancellationToken = default);
}

/// <summary>A room a session is in, as stored.</summary>
/// <param name="Tenant">The session's tenant.</param>
/// <param name="SessionId">The session.</param>
/// <param name="Room">The room's bare JID.</param>
/// <param name="Nick">Our nick in the room.</param>
/// <param name="Password">The room's password, if it has one (a secret).</param>
public sealed record StoredRoom(string Tenant, string SessionId, Jid Room, string Nick, string? Password)
{
    /// <summary>When the newest room message the session received was sent: where history on re-entering starts.</summary>
    public DateTimeOffset? LastMessageAt { get; init; }

    /// <summary>The room's stanza-ids (XEP-0359, by the room) of the newest messages received, to drop their repeats.</summary>
    public ImmutableArray<string> RecentStanzaIds { get; init; } = [];
}
