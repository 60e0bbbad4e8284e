// XEP-0045: Multi-User Chat (v1.35) https://xmpp.org/extensions/xep-0045.html
using Gateway.Xmpp.Muc;

namespace Gateway.Xmpp.Pool;

/// <summary>
/// The rooms a pooled session is in (XEP-0045). The session enters them again by itself on every new stream and
/// after a gateway restart; the application joins, leaves and talks through this interface.
/// </summary>
public interface IRoomManager
{
    /// <summary>The rooms the session is in or entering, ordered by room JID.</summary>
    IReadOnlyList<RoomInfo> List();

    /// <summary>The room, or null when the session is not in it.</summary>
    RoomInfo? Find(Jid room);

    /// <summary>The room's occupants as the room last showed them (us included), ordered by nick; null when the session is not in it.</summary>
    IReadOnlyList<RoomOccupant>? Occupants(Jid room);

    /// <summary>
    /// Enters the room (XEP-0045 §7.2) and returns once the room confirmed it (self-presence with status 110). A room
    /// this creates is unlocked with its default configuration (§10.1.2, instant room). In the room already with the
    /// same nick: returns at once; with another nick: changes nick (§7.6).
    /// </summary>
    /// <exception cref="StanzaErrorException">The room refused: <c>conflict</c> (nick in use), <c>not-authorized</c> (password), <c>registration-required</c> (members-only), <c>forbidden</c> (banned), <c>item-not-found</c> (locked or not allowed to be created), ….</exception>
    /// <exception cref="XmppTimeoutException">No answer in time; the session is not left in the room.</exception>
    Task<RoomInfo> JoinAsync(Jid room, string nick, string? password = null, MucHistory? history = null, CancellationToken cancellationToken = default);

    /// <summary>Leaves the room (XEP-0045 §7.14); false when the session is not in it.</summary>
    Task<bool> LeaveAsync(Jid room, CancellationToken cancellationToken = default);

    /// <summary>Sends a groupchat message and returns its id once the room reflected it (§7.4).</summary>
    /// <exception cref="RoomNotJoinedException">The session is not (yet) in the room.</exception>
    /// <exception cref="StanzaErrorException">The room answered with an error (e.g. <c>forbidden</c> for a visitor in a moderated room).</exception>
    /// <exception cref="XmppTimeoutException">Neither the reflection nor an error came in time.</exception>
    Task<string> SendAsync(Jid room, Message message, CancellationToken cancellationToken = default);

    /// <summary>Changes the room's subject (§8.1) and returns once the room announced it.</summary>
    /// <exception cref="RoomNotJoinedException">The session is not (yet) in the room.</exception>
    /// <exception cref="StanzaErrorException">The room refused (<c>forbidden</c>: our role may not).</exception>
    Task SetSubjectAsync(Jid room, string subject, CancellationToken cancellationToken = default);

    /// <summary>Invites someone to the room with a XEP-0249 direct invitation; returns the message id.</summary>
    /// <exception cref="RoomNotJoinedException">The session is not in the room.</exception>
    Task<string> InviteAsync(Jid room, Jid invitee, string? reason, CancellationToken cancellationToken = default);

    /// <summary>Sends a private message to an occupant (§7.5); returns its id.</summary>
    /// <exception cref="RoomNotJoinedException">The session is not in the room.</exception>
    Task<string> SendPrivateAsync(Jid room, string nick, Message message, CancellationToken cancellationToken = default);

    /// <summary>Changes an occupant's role (§8.4-8.6, §9.6-9.8); <see cref="MucRole.None"/> kicks (§8.2).</summary>
    /// <exception cref="RoomNotJoinedException">The session is not in the room.</exception>
    /// <exception cref="StanzaErrorException">The room refused (<c>not-allowed</c>, <c>forbidden</c>: our role or affiliation may not).</exception>
    Task SetRoleAsync(Jid room, string nick, MucRole role, string? reason, CancellationToken cancellationToken = default);

    /// <summary>Changes a user's affiliation (§9.1-9.5, §10.3-10.8); <see cref="MucAffiliation.Outcast"/> bans.</summary>
    /// <exception cref="RoomNotJoinedException">The session is not in the room.</exception>
    /// <exception cref="StanzaErrorException">The room refused (<c>not-allowed</c>, <c>forbidden</c>).</exception>
    Task SetAffiliationAsync(Jid room, Jid user, MucAffiliation affiliation, string? reason, CancellationToken cancellationToken = default);
}

/// <summary>Whether the session is in the room yet.</summary>
public enum RoomJoinState
{
    /// <summary>Asked to enter; the room has not confirmed.</summary>
    Joining,

    /// <summary>In the room.</summary>
    Joined,

    /// <summary>Entering again after a new stream or a failed self-ping.</summary>
    Rejoining,
}

/// <summary>A room the session is in.</summary>
/// <param name="Room">The room's bare JID.</param>
/// <param name="Nick">Our nick.</param>
/// <param name="State">Whether the room confirmed it.</param>
/// <param name="Subject">The room's subject, once told.</param>
/// <param name="Role">Our role.</param>
/// <param name="Affiliation">Our affiliation.</param>
public sealed record RoomInfo(Jid Room, string Nick, RoomJoinState State, string? Subject, MucRole Role, MucAffiliation Affiliation);

/// <summary>The session is not in the room (or has not been confirmed yet), so it cannot do that there.</summary>
public sealed class RoomNotJoinedException(Jid room, RoomJoinState? state)
    : XmppException(state is null ? $"The session is not in room '{room}'." : $"The session is not in room '{room}' yet ({state.ToString()!.ToLowerInvariant()}).")
{
    public Jid Room { get; } = room;

    /// <summary>Null when the session is not in the room at all.</summary>
    public RoomJoinState? State { get; } = state;

    public override bool IsTransient => State is not null;
}

/// <summary>The session is in as many rooms as it may be.</summary>
public sealed class RoomLimitException(int maxRooms) : XmppException($"The session is in {maxRooms} rooms, the most it may be in; leave one first.")
{
    public override bool IsTransient => false;
}
