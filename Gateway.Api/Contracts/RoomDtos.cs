using Gateway.Xmpp.Muc;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Persistence;

namespace Gateway.Api.Contracts;

/// <summary>Enters a room (XEP-0045 §7.2).</summary>
public sealed record JoinRoomRequest
{
    /// <summary>Our nick in the room (1-1023 characters).</summary>
    /// <example>alice</example>
    public required string Nick { get; init; }

    /// <summary>The room's password, when it has one (§7.2.6). Stored encrypted, never logged or returned.</summary>
    /// <example>null</example>
    public string? Password { get; init; }

    /// <summary>How much discussion history to receive on entering (§7.2.15); the room's default when absent.</summary>
    public RoomHistoryRequest? History { get; init; }
}

/// <summary>XEP-0045 §7.2.15: which history to receive on entering a room.</summary>
public sealed record RoomHistoryRequest
{
    /// <summary>At most this many messages (0: none).</summary>
    /// <example>20</example>
    public int? MaxStanzas { get; init; }

    /// <summary>Only messages sent after this instant.</summary>
    /// <example>2026-12-01T12:00:00Z</example>
    public DateTimeOffset? Since { get; init; }
}

/// <summary>A room the session is in.</summary>
/// <param name="Room">The room's bare JID.</param>
/// <param name="Nick">Our nick.</param>
/// <param name="State">joining, joined or rejoining (after a new stream, until the room confirmed).</param>
/// <param name="Subject">The room's subject, once told.</param>
/// <param name="Role">Our role: none, visitor, participant or moderator.</param>
/// <param name="Affiliation">Our affiliation: none, outcast, member, admin or owner.</param>
public sealed record RoomDto(string Room, string Nick, string State, string? Subject, string Role, string Affiliation);

/// <summary>An occupant of a room.</summary>
/// <param name="Nick">The occupant's nick.</param>
/// <param name="Jid">The occupant's real JID, when the room lets us see it (non-anonymous room, or we moderate).</param>
/// <param name="Role">none, visitor, participant or moderator.</param>
/// <param name="Affiliation">none, outcast, member, admin or owner.</param>
public sealed record OccupantDto(string Nick, string? Jid, string Role, string Affiliation);

/// <summary>A message to a room (XEP-0045 §7.4) or to one occupant (§7.5).</summary>
public sealed record PostRoomMessageRequest
{
    /// <summary>The text.</summary>
    /// <example>Hello, room!</example>
    public string? Body { get; init; }

    /// <summary>Extension elements, under the same rules as a message's payloads.</summary>
    /// <example>null</example>
    public IReadOnlyList<string>? Payloads { get; init; }
}

/// <summary>A message the room accepted: it reflected it to every occupant.</summary>
/// <param name="Id">The message's stanza id (also its XEP-0359 origin-id).</param>
public sealed record RoomMessageAcceptedDto(string Id);

/// <summary>Changes the room's subject (XEP-0045 §8.1).</summary>
public sealed record PutRoomSubjectRequest
{
    /// <summary>The new subject; empty clears it.</summary>
    /// <example>Release planning</example>
    public required string Subject { get; init; }
}

/// <summary>Invites someone to the room (XEP-0249 direct invitation; the room's password goes along).</summary>
public sealed record PostRoomInvitationRequest
{
    /// <summary>Whom to invite.</summary>
    /// <example>bob@example.com</example>
    public required string Jid { get; init; }

    /// <summary>Why, shown to the invitee.</summary>
    /// <example>Join us for the release planning</example>
    public string? Reason { get; init; }
}

/// <summary>Changes an occupant's role (XEP-0045 §8.2-8.6, §9.6-9.8): none kicks.</summary>
public sealed record PutOccupantRoleRequest
{
    /// <summary>none (kick), visitor, participant or moderator.</summary>
    /// <example>none</example>
    public required string Role { get; init; }

    /// <summary>Why, shown to the occupant.</summary>
    /// <example>Off topic</example>
    public string? Reason { get; init; }
}

/// <summary>Changes a user's affiliation with the room (XEP-0045 §9.1-9.5, §10.3-10.8): outcast bans.</summary>
public sealed record PutAffiliationRequest
{
    /// <summary>none, outcast (ban), member, admin or owner.</summary>
    /// <example>member</example>
    public required string Affiliation { get; init; }

    /// <summary>Why.</summary>
    /// <example>Welcome aboard</example>
    public string? Reason { get; init; }
}

/// <summary>Another occupant joined, left, changed nick or role (event kind <c>room-occupant</c>).</summary>
/// <param name="Room">The room.</param>
/// <param name="Change">joined, left, nick-changed or role-changed.</param>
/// <param name="Nick">The occupant's nick (the old one with nick-changed).</param>
/// <param name="Jid">The occupant's real JID, when visible.</param>
/// <param name="Role">The occupant's role now.</param>
/// <param name="Affiliation">The occupant's affiliation now.</param>
/// <param name="StatusCodes">XEP-0045 §15.6 status codes, e.g. 307 (kicked), 301 (banned), 303 (nick changed).</param>
/// <param name="NewNick">With nick-changed: the new nick.</param>
/// <param name="Reason">The reason the room gave (kick, ban).</param>
public sealed record RoomOccupantEventDto(string Room, string Change, string Nick, string? Jid, string Role, string Affiliation, IReadOnlyList<int> StatusCodes, string? NewNick, string? Reason);

/// <summary>The room's subject (event kind <c>room-subject</c>).</summary>
/// <param name="Room">The room.</param>
/// <param name="Subject">The subject; empty when cleared.</param>
/// <param name="By">The nick that set it, when the room says.</param>
public sealed record RoomSubjectDto(string Room, string Subject, string? By);

/// <summary>The session's place in a room changed (event kind <c>room-state</c>).</summary>
/// <param name="Room">The room.</param>
/// <param name="State">joined, left, kicked, banned, removed, destroyed, rejoining or join-failed.</param>
/// <param name="Nick">Our nick.</param>
/// <param name="Reason">The reason the room gave, or the error text of a refused rejoin.</param>
/// <param name="ErrorCondition">With join-failed: the room's error condition, e.g. forbidden.</param>
/// <param name="StatusCodes">XEP-0045 §15.6 status codes of the presence that changed it.</param>
public sealed record RoomStateDto(string Room, string State, string Nick, string? Reason, string? ErrorCondition, IReadOnlyList<int> StatusCodes);

/// <summary>Maps rooms and room events to JSON.</summary>
public static class RoomMapper
{
    public static RoomDto ToDto(RoomInfo room)
    {
        ArgumentNullException.ThrowIfNull(room);
        return new(room.Room.ToString(), room.Nick, StateName(room.State), room.Subject, MucElements.ToWire(room.Role), MucElements.ToWire(room.Affiliation));
    }

    public static OccupantDto ToDto(RoomOccupant occupant)
    {
        ArgumentNullException.ThrowIfNull(occupant);
        return new(occupant.Nick, occupant.RealJid?.ToString(), MucElements.ToWire(occupant.Role), MucElements.ToWire(occupant.Affiliation));
    }

    public static RoomOccupantEventDto ToDto(RoomOccupantChanged e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new(e.Room.ToString(), RoomEventCodec.ChangeName(e.Change), e.Occupant.Nick, e.Occupant.RealJid?.ToString(), MucElements.ToWire(e.Occupant.Role), MucElements.ToWire(e.Occupant.Affiliation), [.. e.StatusCodes], e.NewNick, e.Reason);
    }

    public static RoomSubjectDto ToDto(RoomSubjectChanged e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new(e.Room.ToString(), e.Subject, e.By);
    }

    public static RoomStateDto ToDto(RoomStateChanged e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new(e.Room.ToString(), RoomEventCodec.StateName(e.State), e.Nick, e.Reason, e.ErrorCondition, [.. e.StatusCodes]);
    }

    public static string StateName(RoomJoinState state) => state switch
    {
        RoomJoinState.Joining => "joining",
        RoomJoinState.Joined => "joined",
        RoomJoinState.Rejoining => "rejoining",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };
}
