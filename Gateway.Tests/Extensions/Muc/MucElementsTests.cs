using System.Xml.Linq;
using Gateway.Xmpp;
using Gateway.Xmpp.Muc;
using Gateway.Xmpp.Protocol;

namespace Gateway.Tests.Extensions.Muc;

/// <summary>The XEP-0045 / XEP-0249 / XEP-0410 elements, read and written without a socket.</summary>
[Trait("Tier", "Unit")]
[Trait("Spec", "XEP-0045")]
public sealed class MucElementsTests
{
    private static readonly Jid Room = Jid.Parse("dev@conference.example.com");

    private static Presence FromRoom(string nick, string x, PresenceType type = PresenceType.Available) =>
        (Presence)StanzaCodec.Parse(XElement.Parse($"<presence xmlns='jabber:client' from='{Room}/{nick}' {(type == PresenceType.Unavailable ? "type='unavailable'" : "")}>{x}</presence>"));

    [Fact]
    [Trait("Spec", "XEP-0045 §7.2.1, §7.2.6, §7.2.15")]
    public void JoinPresence_PasswordAndHistory_WrittenInTheMucElement()
    {
        var presence = MucElements.JoinPresence(Room, "alice", "s3cret", new MucHistory(MaxStanzas: 20, Since: new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.FromHours(1))));

        Assert.Equal(Room.WithResource("alice"), presence.To);
        var x = Assert.Single(presence.Payload);
        Assert.Equal(MucElements.Join, x.Name);
        Assert.Equal("s3cret", (string?)x.Element(XName.Get("password", Ns.Muc)));
        var history = x.Element(XName.Get("history", Ns.Muc))!;
        Assert.Equal(("20", "2026-12-01T11:00:00.000Z"), ((string?)history.Attribute("maxstanzas"), (string?)history.Attribute("since")));
        Assert.True(MucElements.IsJoin(presence, out var password));
        Assert.Equal("s3cret", password);
        Assert.False(MucElements.IsJoin(MucElements.LeavePresence(Room, "alice"), out _));
        Assert.False(MucElements.IsJoin(new Presence { To = Room.WithResource("alice") }, out _));
    }

    [Fact]
    [Trait("Spec", "XEP-0045 §7.2.3, §9.1")]
    public void TryParseOccupant_SelfBanWithReason_AllFieldsRead()
    {
        var presence = FromRoom("alice", "<x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='outcast' role='none' jid='alice@example.com/gw'><reason>spam</reason></item><status code='110'/><status code='301'/><status code='x'/></x>", PresenceType.Unavailable);

        Assert.True(MucElements.TryParseOccupant(presence, out var occupant));
        Assert.Equal((Room, "alice", false, MucRole.None, MucAffiliation.Outcast), (occupant!.Room, occupant.Nick, occupant.Available, occupant.Role, occupant.Affiliation));
        Assert.Equal(Jid.Parse("alice@example.com/gw"), occupant.RealJid);
        Assert.Equal([110, 301], occupant.StatusCodes);
        Assert.True(occupant.IsSelf);
        Assert.Equal("spam", occupant.Reason);
    }

    [Fact]
    [Trait("Spec", "XEP-0045 §7.6, §10.9")]
    public void TryParseOccupant_NickChangeAndDestroy_NoMucUserOrNick_False()
    {
        Assert.True(MucElements.TryParseOccupant(FromRoom("bob", "<x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='participant' nick='robert'/><status code='303'/></x>", PresenceType.Unavailable), out var renamed));
        Assert.Equal("robert", renamed!.NewNick);
        Assert.True(renamed.Has(MucStatus.NickChanged));

        Assert.True(MucElements.TryParseOccupant(FromRoom("alice", "<x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='owner' role='none'/><destroy><reason>moved</reason></destroy><status code='110'/></x>", PresenceType.Unavailable), out var destroyed));
        Assert.True(destroyed!.Destroyed);
        Assert.Equal("moved", destroyed.Reason);

        Assert.False(MucElements.TryParseOccupant(FromRoom("bob", ""), out _));
        Assert.False(MucElements.TryParseOccupant(new Presence { From = Room, Payload = [new XElement(MucElements.User)] }, out _));
    }

    [Theory]
    [Trait("Spec", "XEP-0410 §3.2")]
    [InlineData(null, SelfPingVerdict.Joined)]
    [InlineData(StanzaErrorCondition.ServiceUnavailable, SelfPingVerdict.Joined)]
    [InlineData(StanzaErrorCondition.FeatureNotImplemented, SelfPingVerdict.Joined)]
    [InlineData(StanzaErrorCondition.ItemNotFound, SelfPingVerdict.Joined)]
    [InlineData(StanzaErrorCondition.RemoteServerNotFound, SelfPingVerdict.Unknown)]
    [InlineData(StanzaErrorCondition.RemoteServerTimeout, SelfPingVerdict.Unknown)]
    [InlineData(StanzaErrorCondition.NotAcceptable, SelfPingVerdict.NotJoined)]
    [InlineData(StanzaErrorCondition.Forbidden, SelfPingVerdict.NotJoined)]
    public void Judge_SelfPingAnswer_Verdict(StanzaErrorCondition? condition, SelfPingVerdict verdict) =>
        Assert.Equal(verdict, MucElements.Judge(condition is { } c ? StanzaError.Of(c) : null));

    [Fact]
    [Trait("Spec", "XEP-0045 §8, §9, §10.1.2; XEP-0249 §2; XEP-0410 §3")]
    public void Requests_AddressedToTheRoomWithTheirItems()
    {
        var kick = MucElements.SetRole(Room, "bob", MucRole.None, "off topic");
        Assert.Equal((IqType.Set, Room), (kick.Type, kick.To));
        var item = kick.Query!.Element(XName.Get("item", Ns.MucAdmin))!;
        Assert.Equal(("bob", "none", "off topic"), ((string?)item.Attribute("nick"), (string?)item.Attribute("role"), (string?)item.Element(XName.Get("reason", Ns.MucAdmin))));

        var ban = MucElements.SetAffiliation(Room, Jid.Parse("bob@example.com/phone"), MucAffiliation.Outcast, reason: null);
        Assert.Equal(("bob@example.com", "outcast"), ((string?)ban.Query!.Element(XName.Get("item", Ns.MucAdmin))!.Attribute("jid"), (string?)ban.Query.Element(XName.Get("item", Ns.MucAdmin))!.Attribute("affiliation")));

        var instant = MucElements.InstantRoom(Room);
        Assert.Equal("submit", (string?)instant.Query!.Element(XName.Get("x", Ns.DataForms))!.Attribute("type"));
        Assert.Empty(instant.Query.Element(XName.Get("x", Ns.DataForms))!.Elements());

        var invitation = MucElements.Invitation(Jid.Parse("carol@example.com"), Room, "pw", "join us");
        var x = invitation.FindPayload(MucElements.Conference)!;
        Assert.Equal((Room.ToString(), "pw", "join us"), ((string?)x.Attribute("jid"), (string?)x.Attribute("password"), (string?)x.Attribute("reason")));

        var ping = MucElements.SelfPing(Room, "alice");
        Assert.Equal((IqType.Get, Room.WithResource("alice"), XName.Get("ping", Ns.Ping)), (ping.Type, ping.To, ping.Query!.Name));
    }

    [Fact]
    [Trait("Spec", "XEP-0203, XEP-0359 §3")]
    public void DelayStampAndStanzaIds_ReadOnlyFromTheRightElements()
    {
        var message = (Message)StanzaCodec.Parse(XElement.Parse($"""
            <message xmlns='jabber:client' from='{Room}/bob' type='groupchat' id='m1'>
              <body>hi</body>
              <delay xmlns='urn:xmpp:delay' from='{Room}' stamp='2026-12-01T10:00:00Z'/>
              <stanza-id xmlns='urn:xmpp:sid:0' id='forged' by='bob@example.com'/>
              <stanza-id xmlns='urn:xmpp:sid:0' id='r-7' by='{Room}'/>
              <origin-id xmlns='urn:xmpp:sid:0' id='o-1'/>
            </message>
            """));

        Assert.Equal(new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero), MucElements.DelayStamp(message));
        Assert.Equal("r-7", MucElements.RoomStanzaId(message, Room));
        Assert.Equal("o-1", MucElements.OriginId(message));
        Assert.Null(MucElements.DelayStamp(new Message { Body = "live" }));
    }
}
