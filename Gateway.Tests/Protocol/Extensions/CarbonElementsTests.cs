using System.Xml.Linq;
using Gateway.Tests.Support;
using Gateway.Xmpp;
using Gateway.Xmpp.Protocol;

namespace Gateway.Tests.Protocol.Extensions;

[Trait("Tier", "Unit")]
public sealed class CarbonElementsTests
{
    private static Message Parse(string xml) => (Message)StanzaCodec.Parse(XElement.Parse(xml));

    [Fact]
    [Trait("Spec", "XEP-0280 §7")]
    public void TryUnwrap_ReceivedCopy_InnerMessageAndDirection()
    {
        var wrapper = Parse("""
            <message xmlns='jabber:client' from='romeo@montague.example' to='romeo@montague.example/home' type='chat'>
              <received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>
                <message xmlns='jabber:client' from='juliet@capulet.example/balcony' to='romeo@montague.example/garden' type='chat' id='j1'>
                  <body>What man art thou</body><thread>0e31</thread><active xmlns='http://jabber.org/protocol/chatstates'/>
                </message>
              </forwarded></received>
            </message>
            """);

        Assert.True(CarbonElements.TryUnwrap(wrapper, out var direction, out var copied, out var error), error);

        Assert.Equal(CarbonDirection.Received, direction);
        Assert.Equal(("juliet@capulet.example/balcony", "romeo@montague.example/garden", "j1"), (copied.From?.ToString(), copied.To?.ToString(), copied.Id));
        Assert.Equal(("What man art thou", "0e31"), (copied.Body, copied.Thread));
        Assert.Equal(ChatState.Active, ChatStateElements.Read(copied));
    }

    [Fact]
    [Trait("Spec", "XEP-0280 §8")]
    public void TryUnwrap_SentCopy_Sent()
    {
        var wrapper = Parse("""
            <message xmlns='jabber:client' from='romeo@montague.example' to='romeo@montague.example/garden' type='chat'>
              <sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>
                <message xmlns='jabber:client' to='juliet@capulet.example/balcony' from='romeo@montague.example/home' type='chat'><body>Neither</body></message>
              </forwarded></sent>
            </message>
            """);

        Assert.True(CarbonElements.TryUnwrap(wrapper, out var direction, out var copied, out _));
        Assert.Equal(CarbonDirection.Sent, direction);
        Assert.Equal("Neither", copied.Body);
    }

    [Theory]
    [InlineData("<message xmlns='jabber:client'><body>plain</body></message>")]
    [InlineData("<message xmlns='jabber:client'><sent xmlns='urn:xmpp:carbons:2'/></message>")]
    [InlineData("<message xmlns='jabber:client'><sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><iq xmlns='jabber:client' type='get' id='i'><ping xmlns='urn:xmpp:ping'/></iq></forwarded></sent></message>")]
    [InlineData("<message xmlns='jabber:client'><sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' from='@@'/></forwarded></sent></message>")]
    [InlineData("<message xmlns='jabber:client'><sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client'/></forwarded></sent><received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client'/></forwarded></received></message>")]
    public void TryUnwrap_NoOrMalformedWrapper_FalseWithError(string xml)
    {
        Assert.False(CarbonElements.TryUnwrap(Parse(xml), out _, out var copied, out var error));
        Assert.Null(copied);
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Theory]
    [InlineData(CarbonDirection.Sent)]
    [InlineData(CarbonDirection.Received)]
    public void Wrap_ThenUnwrapOverTheWire_SameMessage(CarbonDirection direction)
    {
        var inner = new Message
        {
            From = Jid.Parse("a@example.com/phone"), To = Jid.Parse("b@example.com"), Id = "x1", Type = MessageType.Chat, Body = "hi <&>",
            Payload = [ReactionElements.Create(new MessageReactions("o", ["👍"]))],
        };

        var wrapped = CarbonElements.Wrap(direction, inner, Jid.Parse("a@example.com"), Jid.Parse("a@example.com/gw"));
        var received = (Message)StanzaCodec.Parse(XElement.Parse(StanzaSerializer.ToXml(wrapped)));

        Assert.True(CarbonElements.IsWrapper(received));
        Assert.True(CarbonElements.TryUnwrap(received, out var back, out var copied, out _));
        Assert.Equal(direction, back);
        Assert.Equal((inner.From, inner.To, inner.Id, inner.Body), (copied.From, copied.To, copied.Id, copied.Body));
        XmlAssert.Equivalent(inner.Payload[0], Assert.Single(copied.Payload));
    }

    [Fact]
    [Trait("Spec", "XEP-0280 §4")]
    public void EnableRequest_IqSetEnable()
    {
        var iq = CarbonElements.EnableRequest();

        Assert.Equal(IqType.Set, iq.Type);
        Assert.Null(iq.To);
        XmlAssert.Equivalent(XElement.Parse("<enable xmlns='urn:xmpp:carbons:2'/>"), iq.Query!);
    }
}
