using System.Xml.Linq;
using Gateway.Xmpp;
using Gateway.Xmpp.Muc;
using Gateway.Xmpp.Protocol;

namespace Gateway.Tests.Pool.Rooms;

/// <summary>What a room (XEP-0045) sends, built by hand for the room tests.</summary>
internal static class RoomStanzas
{
    public static readonly Jid Room = Jid.Parse("dev@conference.example.com");

    public static Presence Occupant(string nick, string affiliation = "none", string role = "participant", PresenceType type = PresenceType.Available, params int[] codes) =>
        new()
        {
            From = Room.WithResource(nick),
            Type = type,
            Payload = [new XElement(XName.Get("x", Ns.MucUser),
                new XElement(XName.Get("item", Ns.MucUser), new XAttribute("affiliation", affiliation), new XAttribute("role", role)),
                codes.Select(c => new XElement(XName.Get("status", Ns.MucUser), new XAttribute("code", c))))],
        };

    public static Presence Self(string nick = "alice", PresenceType type = PresenceType.Available, params int[] codes) =>
        Occupant(nick, "member", type == PresenceType.Available ? "participant" : "none", type, [MucStatus.Self, .. codes]);

    public static Message Groupchat(string nick, string body, string? stanzaId = null, DateTimeOffset? delay = null)
    {
        var payload = new List<XElement>();
        if (stanzaId is not null)
        {
            payload.Add(new XElement(ReceiptElements.StanzaIdName, new XAttribute("id", stanzaId), new XAttribute("by", Room.ToString())));
        }

        if (delay is { } stamp)
        {
            payload.Add(new XElement(XName.Get("delay", Ns.Delay), new XAttribute("stamp", stamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture))));
        }

        return new Message { From = Room.WithResource(nick), Type = MessageType.Groupchat, Body = body, Id = StanzaId.New(), Payload = [.. payload] };
    }
}
