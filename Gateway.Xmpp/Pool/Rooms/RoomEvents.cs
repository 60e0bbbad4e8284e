// XEP-0045: Multi-User Chat (v1.35) https://xmpp.org/extensions/xep-0045.html
using System.Collections.Immutable;
using Gateway.Xmpp.Muc;

namespace Gateway.Xmpp.Pool;

/// <summary>
/// A groupchat message from a room the session is in (XEP-0045 §7.4), history included (it carries a delay); its
/// <c>from</c> is the room's JID with the sender's nick.
/// </summary>
public sealed record RoomMessageReceived(string Tenant, string SessionId, long EventId, DateTimeOffset ReceivedAt, Message Message)
    : SessionEvent(Tenant, SessionId, EventId, ReceivedAt)
{
    /// <summary>The room (the bare JID of <c>from</c>).</summary>
    public Jid Room => Message.From!.Bare;
}

/// <summary>What happened to another occupant of a room the session is in.</summary>
public enum RoomOccupantChange
{
    Joined,
    Left,
    NickChanged,
    RoleChanged,
}

/// <summary>An occupant as the room shows it.</summary>
/// <param name="Nick">The occupant's nickname in the room.</param>
/// <param name="RealJid">The occupant's real JID, when the room lets us see it.</param>
/// <param name="Role">The occupant's role (XEP-0045 §5.1).</param>
/// <param name="Affiliation">The occupant's affiliation (XEP-0045 §5.2).</param>
public sealed record RoomOccupant(string Nick, Jid? RealJid, MucRole Role, MucAffiliation Affiliation);

/// <summary>Another occupant joined, left (kicked, banned: see the status codes), changed nick or role (XEP-0045 §7.2, §7.6, §9).</summary>
public sealed record RoomOccupantChanged(string Tenant, string SessionId, long EventId, DateTimeOffset ReceivedAt, Jid Room, RoomOccupantChange Change, RoomOccupant Occupant, ImmutableArray<int> StatusCodes)
    : SessionEvent(Tenant, SessionId, EventId, ReceivedAt)
{
    /// <summary>With <see cref="RoomOccupantChange.NickChanged"/>: the new nick (status 303).</summary>
    public string? NewNick { get; init; }

    /// <summary>The reason the room gave (kick, ban).</summary>
    public string? Reason { get; init; }
}

/// <summary>
/// The room's subject changed, or the room told it on entering (XEP-0045 §7.2.16, §8.1): empty when cleared; by the
/// nick that set it, when the room says.
/// </summary>
public sealed record RoomSubjectChanged(string Tenant, string SessionId, long EventId, DateTimeOffset ReceivedAt, Jid Room, string Subject, string? By)
    : SessionEvent(Tenant, SessionId, EventId, ReceivedAt);

/// <summary>Where the session stands in a room.</summary>
public enum RoomState
{
    /// <summary>Entered (self-presence with status 110, XEP-0045 §7.2.3), or entered again after a new stream.</summary>
    Joined,

    /// <summary>Left on request (XEP-0045 §7.14).</summary>
    Left,

    /// <summary>Kicked by a moderator (status 307, §8.2).</summary>
    Kicked,

    /// <summary>Banned (status 301, §9.1).</summary>
    Banned,

    /// <summary>Removed by an affiliation change or a members-only switch (321, 322).</summary>
    Removed,

    /// <summary>The room was destroyed (§10.9).</summary>
    Destroyed,

    /// <summary>
    /// Out of the room for now, and entering again: after a new stream, a failed self-ping (XEP-0410), a service
    /// shutdown (332) or our own unavailable presence (then on the next new stream).
    /// </summary>
    Rejoining,

    /// <summary>Entering again was refused; the session is no longer in the room (see the error condition).</summary>
    JoinFailed,
}

/// <summary>The session's place in a room changed (<c>Nick</c>: ours in the room).</summary>
public sealed record RoomStateChanged(string Tenant, string SessionId, long EventId, DateTimeOffset ReceivedAt, Jid Room, RoomState State, string Nick)
    : SessionEvent(Tenant, SessionId, EventId, ReceivedAt)
{
    /// <summary>The reason the room gave (kick, ban, destruction), or the error text of a refused rejoin.</summary>
    public string? Reason { get; init; }

    /// <summary>With <see cref="RoomState.JoinFailed"/>: the room's error condition (e.g. <c>forbidden</c>).</summary>
    public string? ErrorCondition { get; init; }

    /// <summary>The status codes of the presence that changed it.</summary>
    public ImmutableArray<int> StatusCodes { get; init; } = [];
}
