using System.Text;
using System.Xml.Linq;
using Gateway.Xmpp;
using Gateway.Tests.Support;
using Gateway.Xmpp.Protocol;

namespace Gateway.Tests.Protocol.Stanzas;

public sealed class StanzaCodecTests
{
    private static XElement Parse(string xml) =>
        XElement.Parse($"<wrapper xmlns='jabber:client'>{xml}</wrapper>").Elements().Single();

    [Fact]
    public void TryParse_ChatMessage_ReadsCommonPartsAndKeepsPayload()
    {
        var element = Parse("""
            <message type='chat' id='m1' to='bob@example.com/phone' from='alice@example.com/desk' xml:lang='en'>
              <body>Hi &amp; bye</body><subject>s</subject><thread parent='p0'>t1</thread>
              <body xml:lang='de'>Hallo</body>
              <active xmlns='http://jabber.org/protocol/chatstates'/>
              <x:data xmlns:x='urn:example:x' x:attr='v'><x:inner>1</x:inner></x:data>
            </message>
            """);

        Assert.True(StanzaCodec.TryParse(element, out var stanza, out var error), error);
        var message = Assert.IsType<Message>(stanza);
        Assert.Equal(MessageType.Chat, message.Type);
        Assert.Equal("m1", message.Id);
        Assert.Equal(Jid.Parse("bob@example.com/phone"), message.To);
        Assert.Equal(Jid.Parse("alice@example.com/desk"), message.From);
        Assert.Equal("en", message.Language);
        Assert.Equal("Hi & bye", message.Body);
        Assert.Equal("s", message.Subject);
        Assert.Equal("t1", message.Thread);
        Assert.Equal("p0", message.ParentThread);
        Assert.Equal(3, message.Payload.Length);
        Assert.Equal("Hallo", message.Payload[0].Value);
        Assert.Equal(XName.Get("active", "http://jabber.org/protocol/chatstates"), message.Payload[1].Name);
        Assert.Equal(XName.Get("data", "urn:example:x"), message.Payload[2].Name);
    }

    [Theory]
    [InlineData(null, MessageType.Normal)]
    [InlineData("normal", MessageType.Normal)]
    [InlineData("chat", MessageType.Chat)]
    [InlineData("groupchat", MessageType.Groupchat)]
    [InlineData("headline", MessageType.Headline)]
    [InlineData("error", MessageType.Error)]
    [InlineData("bogus", MessageType.Normal)]
    public void TryParse_MessageType_MapsPerRfc6121(string? wire, MessageType expected)
    {
        var element = Parse(wire is null ? "<message/>" : $"<message type='{wire}'/>");

        Assert.True(StanzaCodec.TryParse(element, out var stanza, out _));
        Assert.Equal(expected, ((Message)stanza).Type);
    }

    [Fact]
    public void TryParse_Presence_ReadsShowStatusPriority()
    {
        var element = Parse("<presence from='a@b/c'><show>dnd</show><status>meeting</status><priority>-5</priority><c xmlns='http://jabber.org/protocol/caps' node='n' ver='v' hash='sha-1'/></presence>");

        Assert.True(StanzaCodec.TryParse(element, out var stanza, out _));
        var presence = Assert.IsType<Presence>(stanza);
        Assert.Equal(PresenceType.Available, presence.Type);
        Assert.Equal(PresenceShow.Dnd, presence.Show);
        Assert.Equal("meeting", presence.Status);
        Assert.Equal((sbyte)-5, presence.Priority);
        Assert.Single(presence.Payload);
    }

    [Fact]
    public void TryParse_ErrorIq_ReadsStanzaError()
    {
        var element = Parse("""
            <iq type='error' id='q1' from='svc.example'>
              <query xmlns='urn:example:q'/>
              <error type='wait' by='svc.example'>
                <resource-constraint xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
                <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>busy</text>
                <too-many xmlns='urn:example:app'/>
              </error>
            </iq>
            """);

        Assert.True(StanzaCodec.TryParse(element, out var stanza, out _));
        var iq = Assert.IsType<Iq>(stanza);
        Assert.Equal(IqType.Error, iq.Type);
        Assert.Equal(StanzaErrorType.Wait, iq.Error!.Type);
        Assert.Equal(StanzaErrorCondition.ResourceConstraint, iq.Error.Condition);
        Assert.Equal("busy", iq.Error.Text);
        Assert.Equal("svc.example", iq.Error.By);
        Assert.Equal(XName.Get("too-many", "urn:example:app"), iq.Error.ApplicationCondition?.Name);
        Assert.Equal(XName.Get("query", "urn:example:q"), iq.Query?.Name);
    }

    [Theory]
    [InlineData("<iq type='get' id='1'/>", "exactly one child")]
    [InlineData("<iq type='get' id='1'><a xmlns='x'/><b xmlns='x'/></iq>", "exactly one child")]
    [InlineData("<iq type='get'><a xmlns='x'/></iq>", "'id'")]
    [InlineData("<iq type='fetch' id='1'><a xmlns='x'/></iq>", "IQ type 'fetch'")]
    [InlineData("<presence type='online'/>", "Presence type 'online'")]
    [InlineData("<message to='a@b@c'/>", "'to' address")]
    [InlineData("<message from='@example.com'/>", "'from' address")]
    public void TryParse_InvalidStanza_SaysWhatIsWrong(string xml, string expected)
    {
        Assert.False(StanzaCodec.TryParse(Parse(xml), out _, out var error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_NotAStanza_Refused()
    {
        Assert.False(StanzaCodec.TryParse(XElement.Parse("<message xmlns='jabber:server'/>"), out _, out var error));
        Assert.Contains("jabber:server", error, StringComparison.Ordinal);
    }

    public static TheoryData<Stanza> RoundTripCases => new()
    {
        new Message { To = Jid.Parse("bob@example.com"), Type = MessageType.Chat, Id = "1", Body = "line1\r\nline2\ttab <&> \"'", Subject = "s", Thread = "t", ParentThread = "p", Language = "fr" },
        new Message { Type = MessageType.Groupchat, Payload = [XElement.Parse("<x xmlns='urn:a' k='v'><y xmlns='urn:b'>z</y></x>")] },
        new Presence { Type = PresenceType.Subscribe, To = Jid.Parse("carol@example.com") },
        new Presence { Show = PresenceShow.Xa, Status = "away", Priority = 127 },
        new Iq { Type = IqType.Set, Id = "i1", To = Jid.Parse("example.com"), Payload = [XElement.Parse("<query xmlns='jabber:iq:roster'><item jid='a@b' name='A'><group>G</group></item></query>")] },
        new Iq { Type = IqType.Error, Id = "i2", Error = new StanzaError(StanzaErrorType.Modify, StanzaErrorCondition.BadRequest, "why") { By = "example.com" } },
    };

    [Theory]
    [MemberData(nameof(RoundTripCases))]
    public void Serialize_ThenParse_RoundTrips(Stanza stanza)
    {
        var xml = StanzaSerializer.ToXml(stanza);
        var reparsed = StanzaCodec.Parse(XElement.Parse(xml));

        Assert.Equal(StanzaSerializer.ToXml(reparsed), xml);
        XmlAssert.Equivalent(StanzaCodec.ToElement(stanza), XElement.Parse(xml));
        Assert.Equal(stanza.GetType(), reparsed.GetType());
        Assert.Equal(stanza.To, reparsed.To);
        Assert.Equal(stanza.Id, reparsed.Id);
        Assert.Equal(stanza.Error?.Condition, reparsed.Error?.Condition);
    }

    [Fact]
    public void Serialize_Message_IsCompactUtf8InClientNamespace()
    {
        var bytes = StanzaSerializer.ToBytes(new Message { To = Jid.Parse("bob@example.com"), Type = MessageType.Chat, Id = "x", Body = "😀" });

        Assert.Equal("<message type=\"chat\" id=\"x\" to=\"bob@example.com\" xmlns=\"jabber:client\"><body>😀</body></message>", Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public void Serialize_InvalidXmlCharacter_ThrowsArgumentException()
    {
        Assert.ThrowsAny<ArgumentException>(() => StanzaSerializer.ToBytes(new Message { Body = "bell\u0007" }));
    }

    [Fact]
    public void Serializer_Reused_EachCallOnlyItsOwnElement_NamespacesDeclaredEveryTime()
    {
        var serializer = new StanzaSerializer();
        var payload = new System.Xml.Linq.XElement(System.Xml.Linq.XName.Get("active", "http://jabber.org/protocol/chatstates"));

        var first = Encoding.UTF8.GetString(serializer.Serialize(new Message { Id = "1", Body = "a", Payload = [payload] }).Span);
        var second = Encoding.UTF8.GetString(serializer.Serialize(new Message { Id = "2", Body = "b", Payload = [payload] }).Span);
        var nonza = Encoding.UTF8.GetString(serializer.Serialize(new System.Xml.Linq.XElement(System.Xml.Linq.XName.Get("r", "urn:xmpp:sm:3"))).Span);

        Assert.Equal("<message id=\"1\" xmlns=\"jabber:client\"><body>a</body><active xmlns=\"http://jabber.org/protocol/chatstates\" /></message>", first);
        Assert.Equal(first.Replace("\"1\"", "\"2\"", StringComparison.Ordinal).Replace(">a<", ">b<", StringComparison.Ordinal), second);
        Assert.Equal("<r xmlns=\"urn:xmpp:sm:3\" />", nonza);
    }

    [Fact]
    public void Serializer_AfterARefusedStanza_NextOneIsWhole()
    {
        var serializer = new StanzaSerializer();

        Assert.ThrowsAny<ArgumentException>(() => serializer.Serialize(new Message { Id = "bad", Body = "bell\u0007" }));
        var next = Encoding.UTF8.GetString(serializer.Serialize(new Message { Id = "good", Body = "fine" }).Span);

        Assert.Equal("<message id=\"good\" xmlns=\"jabber:client\"><body>fine</body></message>", next);
    }
}
