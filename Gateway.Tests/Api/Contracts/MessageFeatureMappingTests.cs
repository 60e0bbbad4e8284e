using System.Text.Json;
using System.Xml.Linq;
using Gateway.Api.Contracts;
using Gateway.Api.Hubs;
using Gateway.Tests.Support;
using Gateway.Xmpp;
using Gateway.Xmpp.Protocol;
using Gateway.Xmpp.Pool;

namespace Gateway.Tests.Api.Contracts;

/// <summary>The typed IM fields of a send into elements, and of a received message out of them; refusals keyed by field.</summary>
[Trait("Tier", "Unit")]
public sealed class MessageFeatureMappingTests
{
    private static PostMessageRequest Parse(string json) => JsonSerializer.Deserialize<PostMessageRequest>(json, GatewayApiFactory.Json)!;

    private static Message Create(PostMessageRequest request)
    {
        Assert.True(RequestMapper.TryCreateMessage(request, out var message, out var errors), string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(",", e.Value)}")));
        return message;
    }

    /// <summary>The stanza as the recipient reads it: written, parsed, mapped to JSON.</summary>
    private static MessageDto Received(Message sent)
    {
        var wire = (Message)StanzaCodec.Parse(XElement.Parse(StanzaSerializer.ToXml(sent with { From = Jid.Parse("alice@example.com/gw") })));
        return StanzaMapper.ToDto(wire);
    }

    [Theory]
    [Trait("Spec", "XEP-0085 §5.4, XEP-0184 §5.4")]
    [InlineData("active")]
    [InlineData("composing")]
    [InlineData("paused")]
    [InlineData("inactive")]
    [InlineData("gone")]
    public void ChatStateOnly_NoBodyNeeded_NotTrackedSoNoReceiptRequest(string state)
    {
        var message = Create(new PostMessageRequest { To = "bob@example.com", ChatState = state });

        Assert.Null(message.Body);
        XmlAssert.Equivalent(XElement.Parse($"<{state} xmlns='http://jabber.org/protocol/chatstates'/>"), Assert.Single(message.Payload));
        Assert.False(OutboundQueue.IsTracked(message));
        Assert.Equal(state, Received(message).ChatState);
    }

    [Fact]
    [Trait("Spec", "XEP-0308 §3")]
    public void Replaces_WithBody_ReplaceElement()
    {
        var message = Create(new PostMessageRequest { To = "bob@example.com", Body = "fixed", Replaces = "orig-1" });

        XmlAssert.Equivalent(XElement.Parse("<replace xmlns='urn:xmpp:message-correct:0' id='orig-1'/>"), Assert.Single(message.Payload));
        Assert.Equal(("fixed", "orig-1"), (Received(message).Body, Received(message).Replaces));
    }

    [Fact]
    [Trait("Spec", "XEP-0424 §3")]
    public void Retracts_NoBody_FallbackBodyIndicationAndStoreHint()
    {
        var message = Create(new PostMessageRequest { To = "bob@example.com", Retracts = "orig-1" });

        Assert.Equal(RetractionElements.FallbackBody, message.Body);
        Assert.Equal(
            ["{urn:xmpp:message-retract:1}retract", "{urn:xmpp:fallback:0}fallback", "{urn:xmpp:hints}store"],
            message.Payload.Select(p => p.Name.ToString()));
        Assert.Equal("urn:xmpp:message-retract:1", (string?)message.Payload[1].Attribute("for"));
        Assert.Equal("orig-1", Received(message).Retracts);
    }

    [Fact]
    public void Retracts_WithBody_BodyKeptAsFallback()
    {
        Assert.Equal("I take that back", Create(new PostMessageRequest { To = "bob@example.com", Body = "I take that back", Retracts = "o" }).Body);
    }

    [Fact]
    [Trait("Spec", "XEP-0461 §4")]
    public void ReplyTo_IdAndAuthor()
    {
        var message = Create(new PostMessageRequest { To = "anna@example.com", Body = "Great idea!", ReplyTo = new ReplyToDto { Id = "m1", To = "anna@example.com/tablet" } });

        XmlAssert.Equivalent(XElement.Parse("<reply xmlns='urn:xmpp:reply:0' to='anna@example.com/tablet' id='m1'/>"), Assert.Single(message.Payload));
        Assert.Equal(new ReplyToDto { Id = "m1", To = "anna@example.com/tablet" }, Received(message).ReplyTo);
    }

    [Fact]
    [Trait("Spec", "XEP-0444 §4.1, §5")]
    public void Reactions_NoBody_ReactionsAndStoreHint()
    {
        var message = Create(new PostMessageRequest { To = "bob@example.com", Reactions = new ReactionsDto { Id = "m1", Emojis = ["👍", "🎉"] } });

        Assert.Null(message.Body);
        Assert.False(OutboundQueue.IsTracked(message));
        XmlAssert.Equivalent(
            XElement.Parse("<reactions xmlns='urn:xmpp:reactions:0' id='m1'><reaction>👍</reaction><reaction>🎉</reaction></reactions>"),
            message.Payload[0]);
        Assert.Equal(HintElements.Store, message.Payload[1].Name);
        var received = Received(message).Reactions!;
        Assert.Equal("m1", received.Id);
        Assert.Equal(["👍", "🎉"], received.Emojis!);
    }

    [Fact]
    [Trait("Spec", "XEP-0444 §4.2")]
    public void Reactions_EmptyList_RemovesAll()
    {
        var message = Create(new PostMessageRequest { To = "bob@example.com", Reactions = new ReactionsDto { Id = "m1", Emojis = [] } });

        Assert.Empty(ReactionElements.Read(message)!.Emojis);
        Assert.Empty(Received(message).Reactions!.Emojis!);
    }

    [Fact]
    [Trait("Spec", "XEP-0066 §3")]
    public void Oob_BodyDefaultsToUrl()
    {
        var message = Create(new PostMessageRequest { To = "bob@example.com", Oob = new OobDto { Url = "https://upload.example.com/a/b.png", Desc = "pic" } });

        Assert.Equal("https://upload.example.com/a/b.png", message.Body);
        XmlAssert.Equivalent(XElement.Parse("<x xmlns='jabber:x:oob'><url>https://upload.example.com/a/b.png</url><desc>pic</desc></x>"), Assert.Single(message.Payload));
        Assert.Equal(new OobDto { Url = "https://upload.example.com/a/b.png", Desc = "pic" }, Received(message).Oob);
    }

    [Fact]
    [Trait("Spec", "XEP-0333 §3.3")]
    public void Displayed_NoBody_MarkerOnly()
    {
        var message = Create(new PostMessageRequest { To = "bob@example.com", Displayed = "m1" });

        Assert.Null(message.Body);
        XmlAssert.Equivalent(XElement.Parse("<displayed xmlns='urn:xmpp:chat-markers:0' id='m1'/>"), Assert.Single(message.Payload));
        Assert.Equal("m1", Received(message).Displayed);
    }

    [Theory]
    [Trait("Spec", "XEP-0184 §5.1, XEP-0333 §3.3")]
    [InlineData("<received xmlns='urn:xmpp:receipts' id='m1'/>")]
    [InlineData("<received xmlns='urn:xmpp:chat-markers:0' id='m1'/>")]
    public void ReceiptOrReceivedMarker_ReceivedField(string element)
    {
        var dto = StanzaMapper.ToDto(new Message { Payload = [XElement.Parse(element)] });

        Assert.Equal("m1", dto.Received);
        Assert.Null(dto.Displayed);
    }

    [Fact]
    [Trait("Spec", "XEP-0280 §9")]
    public void NoCopy_PrivateAndNoCopyHint()
    {
        var message = Create(new PostMessageRequest { To = "bob@example.com", Body = "secret", NoCopy = true });

        Assert.Equal([CarbonElements.Private, HintElements.NoCopy], message.Payload.Select(p => p.Name));
        Assert.Empty(Create(new PostMessageRequest { To = "bob@example.com", Body = "x", NoCopy = false }).Payload);
    }

    [Fact]
    public void EveryFeature_ReceivedTypedAndStillInPayloads()
    {
        var message = Create(new PostMessageRequest
        {
            To = "bob@example.com", Body = "all", ChatState = "active", Replaces = "r1", ReplyTo = new ReplyToDto { Id = "p1" },
            Oob = new OobDto { Url = "http://x.example/f" }, Payloads = ["<custom xmlns='urn:example'/>"],
        });

        var dto = Received(message);

        Assert.Equal(("active", "r1", "p1", "http://x.example/f"), (dto.ChatState, dto.Replaces, dto.ReplyTo?.Id, dto.Oob?.Url));
        Assert.Null(dto.ReplyTo!.To);

        // Typed and raw alike stay in payloads, in order: a client reading payloads loses nothing.
        Assert.Equal(message.Payload.Length, dto.Payloads.Count);
        for (var i = 0; i < dto.Payloads.Count; i++)
        {
            XmlAssert.Equivalent(message.Payload[i], XElement.Parse(dto.Payloads[i]));
        }
    }

    [Fact]
    public void Received_PlainMessage_NoTypedFieldsInJson()
    {
        var json = JsonSerializer.Serialize(StanzaMapper.ToDto(new Message { Body = "x" }), GatewayApiFactory.Json);

        foreach (var field in new[] { "carbon", "chatState", "replaces", "retracts", "replyTo", "reactions", "oob", "displayed", "received" })
        {
            Assert.DoesNotContain($"\"{field}\"", json, StringComparison.Ordinal);
        }
    }

    [Theory]
    [Trait("Spec", "XEP-0280 §7, §8")]
    [InlineData(CarbonDirection.Sent, "sent")]
    [InlineData(CarbonDirection.Received, "received")]
    [InlineData(null, null)]
    public void EventMapper_Carbon_WireName(CarbonDirection? direction, string? wire)
    {
        var e = new MessageReceived("t", "s", 1, DateTimeOffset.UnixEpoch, new Message { Body = "x" }) { Carbon = direction };

        Assert.Equal(wire, EventMapper.ToEnvelope(e).Data.Carbon);
    }

    [Theory]
    [InlineData("chatState", """{ "to": "bob@example.com", "chatState": "typing" }""")]
    [InlineData("chatState", """{ "to": "bob@example.com", "chatState": "Composing" }""")]
    [InlineData("replaces", """{ "to": "bob@example.com", "replaces": "m1" }""")]
    [InlineData("replaces", """{ "to": "bob@example.com", "body": "x", "replaces": "" }""")]
    [InlineData("replaces", """{ "to": "bob@example.com", "body": "x", "replaces": "m1", "retracts": "m1" }""")]
    [InlineData("retracts", """{ "to": "bob@example.com", "retracts": "" }""")]
    [InlineData("retracts", """{ "to": "bob@example.com", "retracts": "bad\u0001id" }""")]
    [InlineData("replyTo.id", """{ "to": "bob@example.com", "body": "x", "replyTo": { "to": "a@example.com" } }""")]
    [InlineData("replyTo.to", """{ "to": "bob@example.com", "body": "x", "replyTo": { "id": "m1", "to": "@@" } }""")]
    [InlineData("body", """{ "to": "bob@example.com", "replyTo": { "id": "m1" } }""")]
    [InlineData("reactions.id", """{ "to": "bob@example.com", "reactions": { "emojis": ["👍"] } }""")]
    [InlineData("reactions.emojis", """{ "to": "bob@example.com", "reactions": { "id": "m1" } }""")]
    [InlineData("reactions.emojis[1]", """{ "to": "bob@example.com", "reactions": { "id": "m1", "emojis": ["👍", "👍"] } }""")]
    [InlineData("reactions.emojis[0]", """{ "to": "bob@example.com", "reactions": { "id": "m1", "emojis": [" "] } }""")]
    [InlineData("reactions.emojis", """{ "to": "bob@example.com", "reactions": { "id": "m1", "emojis": ["1","2","3","4","5","6","7","8","9","10","11","12","13","14","15","16","17","18","19","20","21","22","23","24","25","26","27","28","29","30","31","32","33"] } }""")]
    [InlineData("oob.url", """{ "to": "bob@example.com", "oob": { } }""")]
    [InlineData("oob.url", """{ "to": "bob@example.com", "oob": { "url": "ftp://x.example/f" } }""")]
    [InlineData("oob.url", """{ "to": "bob@example.com", "oob": { "url": "/relative/path" } }""")]
    [InlineData("oob.url", """{ "to": "bob@example.com", "oob": { "url": "javascript:alert(1)" } }""")]
    [InlineData("oob.desc", """{ "to": "bob@example.com", "oob": { "url": "https://x.example/f", "desc": "\u0000" } }""")]
    [InlineData("displayed", """{ "to": "bob@example.com", "displayed": "" }""")]
    [InlineData("chatState", """{ "to": "bob@example.com", "chatState": "active", "payloads": ["<composing xmlns='http://jabber.org/protocol/chatstates'/>"] }""")]
    [InlineData("replaces", """{ "to": "bob@example.com", "body": "x", "replaces": "m1", "payloads": ["<replace xmlns='urn:xmpp:message-correct:0' id='m0'/>"] }""")]
    [InlineData("retracts", """{ "to": "bob@example.com", "retracts": "m1", "payloads": ["<retract xmlns='urn:xmpp:message-retract:1' id='m1'/>"] }""")]
    [InlineData("replyTo", """{ "to": "bob@example.com", "body": "x", "replyTo": { "id": "m1" }, "payloads": ["<reply xmlns='urn:xmpp:reply:0' id='m1'/>"] }""")]
    [InlineData("reactions", """{ "to": "bob@example.com", "reactions": { "id": "m1", "emojis": [] }, "payloads": ["<reactions xmlns='urn:xmpp:reactions:0' id='m1'/>"] }""")]
    [InlineData("oob", """{ "to": "bob@example.com", "oob": { "url": "https://x.example/f" }, "payloads": ["<x xmlns='jabber:x:oob'><url>https://x.example/g</url></x>"] }""")]
    [InlineData("displayed", """{ "to": "bob@example.com", "displayed": "m1", "payloads": ["<displayed xmlns='urn:xmpp:chat-markers:0' id='m1'/>"] }""")]
    [InlineData("noCopy", """{ "to": "bob@example.com", "body": "x", "noCopy": true, "payloads": ["<private xmlns='urn:xmpp:carbons:2'/>"] }""")]
    [InlineData("requestReceipts", """{ "to": "bob@example.com", "body": "x", "requestReceipts": false, "payloads": ["<request xmlns='urn:xmpp:receipts'/>"] }""")]
    [InlineData("requestReceipts", """{ "to": "bob@example.com", "body": "x", "requestReceipts": false, "payloads": ["<markable xmlns='urn:xmpp:chat-markers:0'/>"] }""")]
    public void Invalid_NamesField(string field, string json)
    {
        Assert.False(RequestMapper.TryCreateMessage(Parse(json), out _, out var errors));

        Assert.True(errors.ContainsKey(field), $"expected an error for '{field}', got: {string.Join("; ", errors.Keys)}");
    }

    [Theory]
    [Trait("Spec", "XEP-0184, XEP-0333")]
    [InlineData("""{ "to": "bob@example.com", "body": "x" }""", RecipientReports.SessionDefault)]
    [InlineData("""{ "to": "bob@example.com", "body": "x", "requestReceipts": true }""", RecipientReports.Requested)]
    [InlineData("""{ "to": "bob@example.com", "body": "x", "requestReceipts": true, "payloads": ["<request xmlns='urn:xmpp:receipts'/>"] }""", RecipientReports.Requested)]
    [InlineData("""{ "to": "bob@example.com", "body": "x", "requestReceipts": false }""", RecipientReports.None)]
    [InlineData("""{ "to": "bob@example.com", "body": "x", "requestReceipts": false, "payloads": ["<received xmlns='urn:xmpp:receipts' id='m0'/>"] }""", RecipientReports.None)]
    public void RequestReceipts_ChoosesTheReportsAndAddsNoElementItself(string json, RecipientReports expected)
    {
        var request = Parse(json);

        var message = Create(request);

        Assert.Equal(expected, RequestMapper.Reports(request));
        Assert.Equal(request.Payloads?.Count ?? 0, message.Payload.Length);
    }

    [Fact]
    public void RawPayloadOfOtherExtension_WithTypedField_Accepted()
    {
        var message = Create(Parse("""{ "to": "bob@example.com", "chatState": "active", "payloads": ["<request xmlns='urn:xmpp:receipts'/>"] }"""));

        Assert.Equal(2, message.Payload.Length);
    }

    [Fact]
    public void HubRequest_CarriesEveryTypedField()
    {
        var request = new SendMessageRequest
        {
            To = "bob@example.com", Body = "b", ChatState = "paused", Replaces = "r", ReplyTo = new ReplyToDto { Id = "p" },
            Oob = new OobDto { Url = "https://x.example/f" }, NoCopy = true,
        };

        Assert.True(HubRequests.TryCreate(request, out var message, out _, out _, out var errors), string.Join(";", errors.Keys));

        var dto = Received(message);
        Assert.Equal(("paused", "r", "p", "https://x.example/f"), (dto.ChatState, dto.Replaces, dto.ReplyTo?.Id, dto.Oob?.Url));
        Assert.NotNull(message.FindPayload(CarbonElements.Private));
        Assert.True(HubRequests.TryCreate(new SendMessageRequest { To = "bob@example.com", Retracts = "x" }, out var retraction, out _, out _, out _));
        Assert.Equal("x", RetractionElements.ReadRetractedId(retraction));
        Assert.True(HubRequests.TryCreate(new SendMessageRequest { To = "bob@example.com", Reactions = new ReactionsDto { Id = "x", Emojis = ["👍"] }, Displayed = "x" }, out var both, out _, out _, out _));
        Assert.NotNull(ReactionElements.Read(both));
        Assert.Equal("x", ReceiptElements.ReadDisplayedId(both));
    }
}
