// XEP-0045: Multi-User Chat (v1.35) https://xmpp.org/extensions/xep-0045.html
// XEP-0249: Direct MUC Invitations (v1.2) https://xmpp.org/extensions/xep-0249.html
// XEP-0410: MUC Self-Ping (v1.1.0) https://xmpp.org/extensions/xep-0410.html
using System.Collections.Immutable;
using System.Globalization;
using System.Xml.Linq;
using Gateway.Xmpp.Protocol;

namespace Gateway.Xmpp.Muc;

/// <summary>XEP-0045 §5.1: an occupant's role in the room (the present visit).</summary>
public enum MucRole
{
    None,
    Visitor,
    Participant,
    Moderator,
}

/// <summary>XEP-0045 §5.2: a user's long-lived affiliation with the room.</summary>
public enum MucAffiliation
{
    None,
    Outcast,
    Member,
    Admin,
    Owner,
}

/// <summary>XEP-0045 §7.2.15: how much discussion history to receive when entering.</summary>
/// <param name="MaxStanzas">At most this many messages (0: none).</param>
/// <param name="Since">Only messages sent after this instant.</param>
public sealed record MucHistory(int? MaxStanzas = null, DateTimeOffset? Since = null);

/// <summary>What a room says about an occupant in its presence (XEP-0045 §7.2.2-§7.2.4, §9, §10).</summary>
/// <param name="Room">The room's bare JID.</param>
/// <param name="Nick">The occupant's nickname (the resource of the presence's <c>from</c>).</param>
/// <param name="Available">False for unavailable presence (the occupant left, or changed nick with 303).</param>
/// <param name="Role">The occupant's role.</param>
/// <param name="Affiliation">The occupant's affiliation.</param>
/// <param name="RealJid">The occupant's full JID, when the room shows it to us (non-anonymous room, or we moderate).</param>
/// <param name="StatusCodes">The status codes (§15.6), e.g. 110 for our own presence.</param>
public sealed record MucOccupantPresence(Jid Room, string Nick, bool Available, MucRole Role, MucAffiliation Affiliation, Jid? RealJid, ImmutableArray<int> StatusCodes)
{
    /// <summary>The new nickname, with status 303 (§7.6).</summary>
    public string? NewNick { get; init; }

    /// <summary>Why the room did it (a kick or ban reason, §9.1, §9.2).</summary>
    public string? Reason { get; init; }

    /// <summary>The room was destroyed (§10.9); the reason, when one was given, is <see cref="Reason"/>.</summary>
    public bool Destroyed { get; init; }

    /// <summary>Status 110: the presence is about ourselves.</summary>
    public bool IsSelf => StatusCodes.Contains(MucStatus.Self);

    public bool Has(int code) => StatusCodes.Contains(code);
}

/// <summary>XEP-0045 §15.6 status codes the gateway acts on.</summary>
public static class MucStatus
{
    public const int NonAnonymous = 100;
    public const int Self = 110;
    public const int Logging = 170;
    public const int Created = 201;
    public const int NickAssigned = 210;
    public const int Banned = 301;
    public const int NickChanged = 303;
    public const int Kicked = 307;
    public const int RemovedByAffiliation = 321;
    public const int RemovedMembersOnly = 322;
    public const int RemovedShutdown = 332;

    /// <summary>Removed because of a technical problem: an error came back from our JID (registry, XEP-0045 §15.6).</summary>
    public const int RemovedTechnical = 333;
}

/// <summary>The MUC elements the gateway reads and writes. Pure: no I/O.</summary>
public static class MucElements
{
    private static readonly XNamespace MucNs = Ns.Muc;
    private static readonly XNamespace UserNs = Ns.MucUser;
    private static readonly XNamespace AdminNs = Ns.MucAdmin;
    private static readonly XNamespace OwnerNs = Ns.MucOwner;

    public static readonly XName Join = MucNs + "x";
    public static readonly XName User = UserNs + "x";
    public static readonly XName Conference = XName.Get("x", Ns.Conference);

    /// <summary>XEP-0045 §7.2.1 (with §7.2.5 password, §7.2.15 history): the presence that enters a room.</summary>
    public static Presence JoinPresence(Jid room, string nick, string? password, MucHistory? history, Presence? availability = null)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentException.ThrowIfNullOrEmpty(nick);
        var x = new XElement(Join);
        if (password is not null)
        {
            x.Add(new XElement(MucNs + "password", password));
        }

        if (history is not null)
        {
            var element = new XElement(MucNs + "history");
            if (history.MaxStanzas is { } max)
            {
                element.Add(new XAttribute("maxstanzas", max.ToString(CultureInfo.InvariantCulture)));
            }

            if (history.Since is { } since)
            {
                // XEP-0082 DateTime, UTC.
                element.Add(new XAttribute("since", since.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)));
            }

            x.Add(element);
        }

        // The application's availability (show, status) goes with the join, as a client's would (§7.2.1).
        return new Presence
        {
            To = room.Bare.WithResource(nick),
            Show = availability?.Show ?? PresenceShow.None,
            Status = availability?.Status,
            Payload = [x],
        };
    }

    /// <summary>XEP-0045 §7.14: leaves a room.</summary>
    public static Presence LeavePresence(Jid room, string nick) =>
        new() { To = room.Bare.WithResource(nick), Type = PresenceType.Unavailable };

    /// <summary>Whether a presence the application sends enters a room (carries the MUC &lt;x/&gt;, §7.2.1).</summary>
    public static bool IsJoin(Presence presence, out string? password)
    {
        ArgumentNullException.ThrowIfNull(presence);
        password = null;
        if (presence is not { Type: PresenceType.Available, To.Resource: not null } || presence.FindPayload(Join) is not { } x)
        {
            return false;
        }

        password = (string?)x.Element(MucNs + "password");
        return true;
    }

    /// <summary>Reads a room's presence about an occupant; false when it carries no muc#user &lt;x/&gt; or no nick.</summary>
    public static bool TryParseOccupant(Presence presence, out MucOccupantPresence? occupant)
    {
        ArgumentNullException.ThrowIfNull(presence);
        occupant = null;
        if (presence.From is not { Resource: { Length: > 0 } nick } from || presence.FindPayload(User) is not { } x)
        {
            return false;
        }

        var item = x.Element(UserNs + "item");
        var codes = x.Elements(UserNs + "status")
            .Select(s => int.TryParse((string?)s.Attribute("code"), NumberStyles.None, CultureInfo.InvariantCulture, out var code) ? code : -1)
            .Where(code => code >= 0)
            .ToImmutableArray();
        var destroy = x.Element(UserNs + "destroy");
        Jid.TryParse((string?)item?.Attribute("jid"), out var realJid);
        occupant = new MucOccupantPresence(
            from.Bare,
            nick,
            presence.Type != PresenceType.Unavailable,
            ParseRole((string?)item?.Attribute("role")),
            ParseAffiliation((string?)item?.Attribute("affiliation")),
            realJid,
            codes)
        {
            NewNick = (string?)item?.Attribute("nick"),
            Reason = (string?)item?.Element(UserNs + "reason") ?? (string?)destroy?.Element(UserNs + "reason"),
            Destroyed = destroy is not null,
        };
        return true;
    }

    /// <summary>XEP-0045 §10.1.2: accepts the default configuration of a room we just created (an instant room).</summary>
    public static Iq InstantRoom(Jid room) => new()
    {
        Type = IqType.Set,
        To = room.Bare,
        Id = StanzaId.New(),
        Payload = [new XElement(OwnerNs + "query", new XElement(XName.Get("x", Ns.DataForms), new XAttribute("type", "submit")))],
    };

    /// <summary>XEP-0045 §8.4-§8.6, §9.6-§9.8: a moderator changes an occupant's role (none kicks, §8.2).</summary>
    public static Iq SetRole(Jid room, string nick, MucRole role, string? reason) => Admin(room, new XAttribute("nick", nick), new XAttribute("role", ToWire(role)), reason);

    /// <summary>XEP-0045 §9.1-§9.5, §10.3-§10.8: an admin or owner changes a user's affiliation (outcast bans, §9.1).</summary>
    public static Iq SetAffiliation(Jid room, Jid user, MucAffiliation affiliation, string? reason) => Admin(room, new XAttribute("jid", user.Bare.ToString()), new XAttribute("affiliation", ToWire(affiliation)), reason);

    /// <summary>XEP-0045 §8.1: changes the room's subject.</summary>
    public static Message Subject(Jid room, string subject) => new() { To = room.Bare, Type = MessageType.Groupchat, Subject = subject };

    /// <summary>XEP-0249 §2: a direct invitation to <paramref name="room"/>.</summary>
    public static Message Invitation(Jid invitee, Jid room, string? password, string? reason)
    {
        var x = new XElement(Conference, new XAttribute("jid", room.Bare.ToString()));
        if (password is not null)
        {
            x.Add(new XAttribute("password", password));
        }

        if (reason is not null)
        {
            x.Add(new XAttribute("reason", reason));
        }

        return new Message { To = invitee, Payload = [x] };
    }

    /// <summary>XEP-0410 §3: pings our own occupant JID to learn whether we are still in the room.</summary>
    public static Iq SelfPing(Jid room, string nick) => new()
    {
        Type = IqType.Get,
        To = room.Bare.WithResource(nick),
        Id = StanzaId.New(),
        Payload = [new XElement(XName.Get("ping", Ns.Ping))],
    };

    /// <summary>
    /// XEP-0410 §3.2: what a self-ping answer says (<paramref name="error"/> null for a result). A result, or the errors
    /// a joined client's own answer or a nick change produce, mean we are in; a remote server error says nothing yet;
    /// any other error (e.g. <c>not-acceptable</c>: not an occupant) means the room dropped us.
    /// </summary>
    public static SelfPingVerdict Judge(StanzaError? error) => error?.Condition switch
    {
        null => SelfPingVerdict.Joined,
        StanzaErrorCondition.ServiceUnavailable or StanzaErrorCondition.FeatureNotImplemented or StanzaErrorCondition.ItemNotFound => SelfPingVerdict.Joined,
        StanzaErrorCondition.RemoteServerNotFound or StanzaErrorCondition.RemoteServerTimeout => SelfPingVerdict.Unknown,
        _ => SelfPingVerdict.NotJoined,
    };

    /// <summary>The room's XEP-0359 stanza-id on a groupchat message (<c>by</c> the room, §7.2.15 / XEP-0359 §3).</summary>
    public static string? RoomStanzaId(Message message, Jid room) => ReceiptElements.FindStanzaId(message, room.Bare);

    /// <summary>XEP-0203: when the message was originally sent (history carries a delay), else null.</summary>
    public static DateTimeOffset? DelayStamp(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var delay = message.FindPayload(XName.Get("delay", Ns.Delay));
        return DateTimeOffset.TryParse((string?)delay?.Attribute("stamp"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var stamp)
            ? stamp
            : null;
    }

    /// <summary>XEP-0359 §3.3: the origin-id the sender gave a message.</summary>
    public static string? OriginId(Message message) => (string?)message.FindPayload(ReceiptElements.OriginId)?.Attribute("id");

    public static string ToWire(MucRole role) => role switch
    {
        MucRole.None => "none",
        MucRole.Visitor => "visitor",
        MucRole.Participant => "participant",
        MucRole.Moderator => "moderator",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, null),
    };

    public static string ToWire(MucAffiliation affiliation) => affiliation switch
    {
        MucAffiliation.None => "none",
        MucAffiliation.Outcast => "outcast",
        MucAffiliation.Member => "member",
        MucAffiliation.Admin => "admin",
        MucAffiliation.Owner => "owner",
        _ => throw new ArgumentOutOfRangeException(nameof(affiliation), affiliation, null),
    };

    public static bool TryParseRole(string? value, out MucRole role)
    {
        (var ok, role) = value switch
        {
            "none" => (true, MucRole.None),
            "visitor" => (true, MucRole.Visitor),
            "participant" => (true, MucRole.Participant),
            "moderator" => (true, MucRole.Moderator),
            _ => (false, MucRole.None),
        };
        return ok;
    }

    public static bool TryParseAffiliation(string? value, out MucAffiliation affiliation)
    {
        (var ok, affiliation) = value switch
        {
            "none" => (true, MucAffiliation.None),
            "outcast" => (true, MucAffiliation.Outcast),
            "member" => (true, MucAffiliation.Member),
            "admin" => (true, MucAffiliation.Admin),
            "owner" => (true, MucAffiliation.Owner),
            _ => (false, MucAffiliation.None),
        };
        return ok;
    }

    private static MucRole ParseRole(string? value) => TryParseRole(value, out var role) ? role : MucRole.None;

    private static MucAffiliation ParseAffiliation(string? value) => TryParseAffiliation(value, out var affiliation) ? affiliation : MucAffiliation.None;

    private static Iq Admin(Jid room, XAttribute who, XAttribute what, string? reason)
    {
        var item = new XElement(AdminNs + "item", who, what);
        if (reason is not null)
        {
            item.Add(new XElement(AdminNs + "reason", reason));
        }

        return new Iq { Type = IqType.Set, To = room.Bare, Id = StanzaId.New(), Payload = [new XElement(AdminNs + "query", item)] };
    }
}

/// <summary>What a XEP-0410 self-ping answer says about our presence in the room.</summary>
public enum SelfPingVerdict
{
    Joined,
    NotJoined,
    Unknown,
}
