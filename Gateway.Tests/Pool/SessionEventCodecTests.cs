using System.Xml.Linq;
using Gateway.Tests.Support;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Persistence;

namespace Gateway.Tests.Pool;

public sealed class SessionEventCodecTests
{
    private static readonly DateTimeOffset At = DateTimeOffset.FromUnixTimeMilliseconds(1_764_600_000_123);

    public static TheoryData<SessionEvent> Events => new()
    {
        new MessageReceived("t", "s", 1, At, new Message { From = Jid.Parse("a@b/c"), Type = MessageType.Chat, Body = "hé <&>", Id = "m", Payload = [XElement.Parse("<x xmlns='urn:x' a='1'><y/></x>")] }),
        new PresenceReceived("t", "s", 2, At, new Presence { From = Jid.Parse("a@b/c"), Show = PresenceShow.Away, Status = "st", Priority = 5 }),
        new RosterPushed("t", "s", 3, At, new RosterItem(Jid.Parse("c@d")) { Name = "C", Subscription = RosterSubscription.Both, PendingOut = true, Groups = ["g1", "g2"] }),
        new IqRequestReceived("t", "s", 4, At, new Iq { Type = IqType.Get, Id = "q", From = Jid.Parse("a@b/c"), Payload = [XElement.Parse("<q xmlns='urn:q'/>")] }, At.AddSeconds(10)),
        new SessionStateChanged("t", "s", 5, At, SessionState.Reconnecting, "connection-lost", "gone"),
        new MessageStatusChanged("t", "s", 6, At, new MessageStatus("m1", Jid.Parse("a@b"), DeliveryStatus.Failed, At, At.AddSeconds(1)) { ErrorCondition = "service-unavailable", ErrorText = "x" }),
        new BlocklistChanged("t", "s", 7, At, Blocked: true, [Jid.Parse("a@b"), Jid.Parse("spam.example"), Jid.Parse("c@d/e")]),
        new BlocklistChanged("t", "s", 8, At, Blocked: false, []),
    };

    [Theory]
    [MemberData(nameof(Events))]
    public void EncodeThenDecode_RoundTripsEveryKind(SessionEvent original)
    {
        var decoded = SessionEventCodec.Decode(original.Tenant, original.SessionId, original.EventId, original.ReceivedAt, SessionEventCodec.KindOf(original), SessionEventCodec.Encode(original));

        Assert.Equal(original.GetType(), decoded.GetType());
        Assert.Equal(original.EventId, decoded.EventId);
        switch (original)
        {
            case MessageReceived m:
                var d = (MessageReceived)decoded;
                Assert.Equal(m.Message.Body, d.Message.Body);
                XmlAssert.Equivalent(m.Message.Payload[0], d.Message.Payload[0]);
                break;
            case RosterPushed r:
                Assert.Equal(r.Item with { Groups = [] }, ((RosterPushed)decoded).Item with { Groups = [] });
                Assert.Equal(r.Item.Groups, ((RosterPushed)decoded).Item.Groups);
                break;
            case IqRequestReceived q:
                Assert.Equal(q.AnswerBy, ((IqRequestReceived)decoded).AnswerBy);
                Assert.Equal(q.Request.Query!.Name, ((IqRequestReceived)decoded).Request.Query!.Name);
                break;
            case SessionStateChanged or MessageStatusChanged:
                Assert.Equal(original, decoded);
                break;
            case BlocklistChanged b:
                Assert.Equal(b.Blocked, ((BlocklistChanged)decoded).Blocked);
                Assert.Equal(b.Jids, ((BlocklistChanged)decoded).Jids);
                break;
            case PresenceReceived p:
                Assert.Equal(p.Presence.Status, ((PresenceReceived)decoded).Presence.Status);
                break;
        }
    }

    [Theory]
    [InlineData("message", "<message xmlns='jabber:client'")]
    [InlineData("state", "{not json")]
    [InlineData("bogus", "{}")]
    public void Decode_Corrupt_ThrowsFormatException(string kind, string data)
    {
        Assert.Throws<FormatException>(() => SessionEventCodec.Decode("t", "s", 1, At, kind, data));
    }
}
