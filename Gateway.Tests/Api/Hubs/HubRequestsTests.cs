using Gateway.Api.Contracts;
using Gateway.Api.Hubs;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;

namespace Gateway.Tests.Api.Hubs;

// The rules themselves belong to RequestMapper (tested with REST); these tests pin what the hub adds or restricts.
[Trait("Tier", "Unit")]
public sealed class HubRequestsTests
{
    [Fact]
    public void TryCreate_MessageWithEveryField_SameStanzaAsRest()
    {
        var request = new SendMessageRequest
        {
            To = "bob@example.com/phone", Type = "headline", Body = "b", Subject = "s", Thread = "t", Lang = "en", Id = "m-1", Wait = "server",
            Payloads = ["<order xmlns='urn:example:shop' id='42'><item>Tea &amp; biscuits</item></order>"],
        };

        Assert.True(HubRequests.TryCreate(request, out var message, out var wait, out _, out var errors), string.Join("; ", errors.Keys));

        Assert.Equal(Jid.Parse("bob@example.com/phone"), message.To);
        Assert.Equal(MessageType.Headline, message.Type);
        Assert.Equal(("b", "s", "t", "en", "m-1"), (message.Body, message.Subject, message.Thread, message.Language, message.Id));
        Assert.Equal(DeliveryWait.Server, wait);
        Assert.Equal("Tea & biscuits", Assert.Single(message.Payload).Value);
    }

    [Fact]
    public void TryCreate_MinimalMessage_ChatWithGeneratedIdQueued()
    {
        Assert.True(HubRequests.TryCreate(new SendMessageRequest { To = "bob@example.com", Body = "hi" }, out var message, out var wait, out var reports, out _));

        Assert.Equal(MessageType.Chat, message.Type);
        Assert.False(string.IsNullOrEmpty(message.Id));
        Assert.Equal(DeliveryWait.Queued, wait);
        Assert.Equal(RecipientReports.SessionDefault, reports);
    }

    [Fact]
    [Trait("Spec", "XEP-0184, XEP-0333")]
    public void TryCreate_RequestReceiptsFalse_NoReportsAndTheStanzaUnchanged()
    {
        Assert.True(HubRequests.TryCreate(new SendMessageRequest { To = "bob@example.com", Body = "hi", RequestReceipts = false }, out var message, out _, out var reports, out _));

        Assert.Equal(RecipientReports.None, reports);
        Assert.Empty(message.Payload);
    }

    [Theory]
    [InlineData(null, "hi", null, "<a xmlns='urn:x'/>", "to")]
    [InlineData("bob@example.com", "hi", "later", "<a xmlns='urn:x'/>", "wait")]
    [InlineData("bob@example.com", "hi", null, "<active/>", "payloads[0]")]
    [InlineData("bob@example.com", "bell \u0007", null, "<a xmlns='urn:x'/>", "body")]
    public void TryCreate_InvalidMessage_NamesTheField(string? to, string body, string? wait, string payload, string field)
    {
        Assert.False(HubRequests.TryCreate(new SendMessageRequest { To = to, Body = body, Wait = wait, Payloads = [payload] }, out _, out _, out _, out var errors));

        Assert.Contains(field, errors.Keys);
    }

    [Fact]
    public void TryCreate_PresenceWaitServer_PresenceAndWait()
    {
        Assert.True(HubRequests.TryCreate(new SendPresenceRequest { Show = "dnd", Status = "busy", Priority = -5, Wait = "server" }, out var presence, out var wait, out _));

        Assert.Equal((PresenceShow.Dnd, "busy", (sbyte?)-5), (presence.Show, presence.Status, presence.Priority));
        Assert.Equal(DeliveryWait.Server, wait);
    }

    [Fact]
    public void TryCreate_IqWithoutType_Get()
    {
        Assert.True(HubRequests.TryCreate(new SendIqRequest { Payload = "<query xmlns='jabber:iq:version'/>", TimeoutSeconds = 5 }, out var iq, out var timeout, out _));

        Assert.Equal(IqType.Get, iq.Type);
        Assert.Equal(TimeSpan.FromSeconds(5), timeout);
    }

    [Theory]
    [InlineData("result")]
    [InlineData("error")]
    public void TryCreate_IqRequestOfAnswerType_PointsToAnswerIq(string type)
    {
        Assert.False(HubRequests.TryCreate(new SendIqRequest { Type = type, Payload = "<q xmlns='urn:x'/>" }, out _, out _, out var errors));

        Assert.Contains("AnswerIq", Assert.Single(errors["type"]), StringComparison.Ordinal);
    }

    [Fact]
    public void TryCreate_AnswerWithoutType_Result()
    {
        Assert.True(HubRequests.TryCreate(new AnswerIqRequest { Id = "q1", Payload = "<query xmlns='jabber:iq:version'><name>gw</name></query>" }, out var iq, out _));

        Assert.Equal((IqType.Result, "q1"), (iq.Type, iq.Id));
    }

    [Fact]
    public void TryCreate_AnswerWithError_ErrorIq()
    {
        var request = new AnswerIqRequest { Id = "q1", Type = "error", Error = new StanzaErrorDto("", "item-not-found", "no such thing") };

        Assert.True(HubRequests.TryCreate(request, out var iq, out _));

        Assert.Equal(new StanzaError(StanzaErrorType.Cancel, StanzaErrorCondition.ItemNotFound, "no such thing"), iq.Error);
    }

    [Theory]
    [InlineData("get", "type")]
    [InlineData("error", "error.condition")]
    public void TryCreate_InvalidAnswer_NamesTheField(string type, string field)
    {
        Assert.False(HubRequests.TryCreate(new AnswerIqRequest { Id = "q1", Type = type }, out _, out var errors));

        Assert.Contains(field, errors.Keys);
    }
}
