using System.Xml.Linq;
using Gateway.Tests.Support;
using Gateway.Xmpp;
using Gateway.Xmpp.Protocol;

namespace Gateway.Tests.Protocol.Extensions;

/// <summary>Every typed IM element written, put on the wire, parsed back and read: what goes out comes back the same.</summary>
[Trait("Tier", "Unit")]
public sealed class ImFeatureElementsTests
{
    /// <summary>The message as a peer receives it: serialised to XML and parsed again.</summary>
    private static Message OverTheWire(params XElement[] payload)
    {
        var xml = StanzaSerializer.ToXml(new Message { To = Jid.Parse("bob@example.com"), Id = "m1", Type = MessageType.Chat, Payload = [.. payload] });
        return (Message)StanzaCodec.Parse(XElement.Parse(xml));
    }

    [Theory]
    [Trait("Spec", "XEP-0085 §2")]
    [InlineData(ChatState.Active, "active")]
    [InlineData(ChatState.Composing, "composing")]
    [InlineData(ChatState.Paused, "paused")]
    [InlineData(ChatState.Inactive, "inactive")]
    [InlineData(ChatState.Gone, "gone")]
    public void ChatState_RoundTrip_SameState(ChatState state, string wire)
    {
        var element = ChatStateElements.Create(state);

        XmlAssert.Equivalent(XElement.Parse($"<{wire} xmlns='http://jabber.org/protocol/chatstates'/>"), element);
        Assert.Equal(state, ChatStateElements.Read(OverTheWire(element)));
        Assert.True(ChatStateElements.TryParse(wire, out var parsed));
        Assert.Equal(state, parsed);
    }

    [Fact]
    public void ChatState_UndefinedNameOrNone_Null()
    {
        Assert.Null(ChatStateElements.Read(OverTheWire(XElement.Parse("<typing xmlns='http://jabber.org/protocol/chatstates'/>"))));
        Assert.Null(ChatStateElements.Read(OverTheWire()));
        Assert.False(ChatStateElements.TryParse("Composing", out _));
    }

    [Fact]
    [Trait("Spec", "XEP-0308 §3")]
    public void Correction_RoundTrip_SameId()
    {
        var element = CorrectionElements.Create("orig-1");

        XmlAssert.Equivalent(XElement.Parse("<replace xmlns='urn:xmpp:message-correct:0' id='orig-1'/>"), element);
        Assert.Equal("orig-1", CorrectionElements.ReadReplacedId(OverTheWire(element)));
        Assert.Null(CorrectionElements.ReadReplacedId(OverTheWire(XElement.Parse("<replace xmlns='urn:xmpp:message-correct:0'/>"))));
    }

    [Fact]
    [Trait("Spec", "XEP-0424 §3")]
    public void Retraction_WithFallback_RetractFallbackIndicationAndStoreHint()
    {
        var elements = RetractionElements.CreateWithFallback("orig-1");

        Assert.Collection(
            elements,
            e => XmlAssert.Equivalent(XElement.Parse("<retract xmlns='urn:xmpp:message-retract:1' id='orig-1'/>"), e),
            e => XmlAssert.Equivalent(XElement.Parse("<fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:message-retract:1'/>"), e),
            e => XmlAssert.Equivalent(XElement.Parse("<store xmlns='urn:xmpp:hints'/>"), e));
        var received = OverTheWire([.. elements]);
        Assert.Equal("orig-1", RetractionElements.ReadRetractedId(received));
        Assert.Equal(["urn:xmpp:message-retract:1"], FallbackElements.ReadFor(received));
    }

    [Fact]
    [Trait("Spec", "XEP-0461 §4")]
    public void Reply_RoundTrip_IdAndAuthor()
    {
        var element = ReplyElements.Create(new MessageReply("orig-1", Jid.Parse("anna@example.com/tablet")));

        XmlAssert.Equivalent(XElement.Parse("<reply xmlns='urn:xmpp:reply:0' to='anna@example.com/tablet' id='orig-1'/>"), element);
        Assert.Equal(new MessageReply("orig-1", Jid.Parse("anna@example.com/tablet")), ReplyElements.Read(OverTheWire(element)));
        Assert.Equal(new MessageReply("orig-1", null), ReplyElements.Read(OverTheWire(ReplyElements.Create(new MessageReply("orig-1", null)))));
    }

    [Fact]
    public void Reply_BadAuthorOrNoId_AuthorDroppedOrNoReply()
    {
        Assert.Equal(new MessageReply("x", null), ReplyElements.Read(OverTheWire(XElement.Parse("<reply xmlns='urn:xmpp:reply:0' to='@@' id='x'/>"))));
        Assert.Null(ReplyElements.Read(OverTheWire(XElement.Parse("<reply xmlns='urn:xmpp:reply:0' to='anna@example.com'/>"))));
    }

    [Fact]
    [Trait("Spec", "XEP-0444 §4.1")]
    public void Reactions_RoundTrip_SameEmojisInOrder()
    {
        var element = ReactionElements.Create(new MessageReactions("orig-1", ["👋", "🐢"]));

        XmlAssert.Equivalent(XElement.Parse("<reactions xmlns='urn:xmpp:reactions:0' id='orig-1'><reaction>👋</reaction><reaction>🐢</reaction></reactions>"), element);
        var read = ReactionElements.Read(OverTheWire(element));
        Assert.Equal("orig-1", read?.Id);
        Assert.Equal(["👋", "🐢"], read!.Emojis);
    }

    [Fact]
    [Trait("Spec", "XEP-0444 §4.2, §5")]
    public void Reactions_EmptyRemovesAll_DuplicatesAndBlanksIgnored()
    {
        Assert.Empty(ReactionElements.Read(OverTheWire(ReactionElements.Create(new MessageReactions("orig-1", []))))!.Emojis);
        var sloppy = XElement.Parse("<reactions xmlns='urn:xmpp:reactions:0' id='o'><reaction>👍</reaction><reaction/><reaction>👍</reaction></reactions>");
        Assert.Equal(["👍"], ReactionElements.Read(OverTheWire(sloppy))!.Emojis);
        Assert.Null(ReactionElements.Read(OverTheWire(XElement.Parse("<reactions xmlns='urn:xmpp:reactions:0'><reaction>👍</reaction></reactions>"))));
    }

    [Fact]
    [Trait("Spec", "XEP-0066 §3")]
    public void Oob_RoundTrip_UrlAndDescription()
    {
        var element = OobElements.Create(new OutOfBandData("https://upload.example.com/a/b.png", "A picture"));

        XmlAssert.Equivalent(XElement.Parse("<x xmlns='jabber:x:oob'><url>https://upload.example.com/a/b.png</url><desc>A picture</desc></x>"), element);
        Assert.Equal(new OutOfBandData("https://upload.example.com/a/b.png", "A picture"), OobElements.Read(OverTheWire(element)));
        Assert.Equal(new OutOfBandData("https://x.example/f", null), OobElements.Read(OverTheWire(OobElements.Create(new OutOfBandData("https://x.example/f", null)))));
        Assert.Null(OobElements.Read(OverTheWire(XElement.Parse("<x xmlns='jabber:x:oob'><url> </url></x>"))));
    }

    [Fact]
    [Trait("Spec", "XEP-0333 §3.3")]
    public void Displayed_RoundTrip_SameIdAndDeliveryAcknowledgement()
    {
        var element = ReceiptElements.DisplayedFor("orig-1");

        XmlAssert.Equivalent(XElement.Parse("<displayed xmlns='urn:xmpp:chat-markers:0' id='orig-1'/>"), element);
        var received = OverTheWire(element);
        Assert.Equal("orig-1", ReceiptElements.ReadDisplayedId(received));
        Assert.Equal(new DeliveryAcknowledgement("orig-1", AcknowledgementKind.Displayed), ReceiptElements.FindAcknowledgement(received));
    }

    [Fact]
    [Trait("Spec", "XEP-0280 §9")]
    public void NoCopy_PrivateAndHint()
    {
        XmlAssert.Equivalent(XElement.Parse("<private xmlns='urn:xmpp:carbons:2'/>"), CarbonElements.PrivateElement());
        XmlAssert.Equivalent(XElement.Parse("<no-copy xmlns='urn:xmpp:hints'/>"), HintElements.NoCopyHint());
    }
}
