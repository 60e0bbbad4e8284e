using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Gateway.Api.Contracts;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Microsoft.AspNetCore.SignalR;

namespace Gateway.Tests.Api.Hubs;

[Trait("Tier", "Unit")]
public sealed class EventEnvelopeTests
{
    // What the hub writes with: SignalR's JSON protocol defaults (camelCase).
    private static readonly JsonSerializerOptions Json = new JsonHubProtocolOptions().PayloadSerializerOptions;

    private static JsonObject Serialize<T>(T value) => JsonNode.Parse(JsonSerializer.Serialize(value, Json))!.AsObject();

    [Fact]
    public void ToEnvelope_Message_EnvelopeFieldsAndMessageDtoAsData()
    {
        var message = Events.Message("t1", "s1", 42, "héllo <&>");
        message = message with { Message = message.Message with { Payload = [XElement.Parse("<active xmlns='http://jabber.org/protocol/chatstates'/>")] } };

        var json = Serialize(EventMapper.ToEnvelope(message));

        Assert.Equal(["eventId", "sessionId", "kind", "receivedAt", "data"], json.Select(p => p.Key));
        Assert.Equal(42, json["eventId"]!.GetValue<long>());
        Assert.Equal("s1", json["sessionId"]!.GetValue<string>());
        Assert.Equal("message", json["kind"]!.GetValue<string>());
        Assert.Equal(Events.At, json["receivedAt"]!.GetValue<DateTimeOffset>());
        var data = json["data"]!.AsObject();
        Assert.Equal("héllo <&>", data["body"]!.GetValue<string>());
        Assert.Equal("chat", data["type"]!.GetValue<string>());
        Assert.Equal("bob@example.com/phone", data["from"]!.GetValue<string>());
        Assert.Equal("<active xmlns=\"http://jabber.org/protocol/chatstates\" />", Assert.Single(data["payloads"]!.AsArray())!.GetValue<string>());
        Assert.False(json.ContainsKey("tenant"), "the tenant is the caller's own: never echoed");
    }

    [Fact]
    public void ToEnvelope_StateChange_StateReasonAndText()
    {
        var json = Serialize(EventMapper.ToEnvelope(Events.State("t1", "s1", 3, SessionState.Reconnecting, "connection-lost")));

        Assert.Equal("session-state", json["kind"]!.GetValue<string>());
        Assert.Equal("""{"state":"reconnecting","reason":"connection-lost","reasonText":"detail"}""", json["data"]!.ToJsonString());
    }

    [Fact]
    public void ToEnvelope_IqRequest_IqAndAnswerBy()
    {
        var request = new Iq { Type = IqType.Get, Id = "v1", From = Jid.Parse("bob@example.com/phone"), Payload = [XElement.Parse("<query xmlns='jabber:iq:version'/>")] };

        var json = Serialize(EventMapper.ToEnvelope(new IqRequestReceived("t1", "s1", 9, Events.At, request, Events.At.AddSeconds(10))));

        Assert.Equal("iq-request", json["kind"]!.GetValue<string>());
        Assert.Equal("v1", json["data"]!["iq"]!["id"]!.GetValue<string>());
        Assert.Equal("get", json["data"]!["iq"]!["type"]!.GetValue<string>());
        Assert.Equal("<query xmlns=\"jabber:iq:version\" />", json["data"]!["iq"]!["payload"]!.GetValue<string>());
        Assert.Equal(Events.At.AddSeconds(10), json["data"]!["answerBy"]!.GetValue<DateTimeOffset>());
    }

    [Fact]
    public void ToEnvelope_RosterPush_RosterItemDto()
    {
        var item = new RosterItem(Jid.Parse("bob@example.com")) { Name = "Bob", Subscription = RosterSubscription.Both, Groups = ["Friends"] };

        var json = Serialize(EventMapper.ToEnvelope(new RosterPushed("t1", "s1", 2, Events.At, item)));

        Assert.Equal("roster-push", json["kind"]!.GetValue<string>());
        Assert.Equal("""{"jid":"bob@example.com","name":"Bob","subscription":"both","pendingOut":false,"groups":["Friends"]}""", json["data"]!.ToJsonString());
    }

    public static TheoryData<SessionEvent> AllKinds() =>
    [
        Events.Message("t1", "s1", 1),
        new PresenceReceived("t1", "s1", 2, Events.At, new Presence { Show = PresenceShow.Away, Status = "out" }),
        new RosterPushed("t1", "s1", 3, Events.At, new RosterItem(Jid.Parse("bob@example.com"))),
        new IqRequestReceived("t1", "s1", 4, Events.At, new Iq { Id = "q", Payload = [XElement.Parse("<q xmlns='urn:x'/>")] }, Events.At),
        Events.State("t1", "s1", 5, SessionState.Online),
    ];

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void ToEnvelope_Untyped_SameJsonAsTyped(SessionEvent e)
    {
        string typed = e switch
        {
            MessageReceived m => JsonSerializer.Serialize(EventMapper.ToEnvelope(m), Json),
            PresenceReceived p => JsonSerializer.Serialize(EventMapper.ToEnvelope(p), Json),
            RosterPushed r => JsonSerializer.Serialize(EventMapper.ToEnvelope(r), Json),
            IqRequestReceived q => JsonSerializer.Serialize(EventMapper.ToEnvelope(q), Json),
            SessionStateChanged s => JsonSerializer.Serialize(EventMapper.ToEnvelope(s), Json),
            _ => throw new InvalidOperationException(),
        };

        Assert.Equal(typed, JsonSerializer.Serialize(EventMapper.ToEnvelope(e), Json));
    }

    [Theory]
    [InlineData(SessionState.Connecting, "connecting")]
    [InlineData(SessionState.Online, "online")]
    [InlineData(SessionState.Reconnecting, "reconnecting")]
    [InlineData(SessionState.Stopped, "stopped")]
    [InlineData(SessionState.Failed, "failed")]
    public void StateName_EveryState_WireName(SessionState state, string expected) =>
        Assert.Equal(expected, SessionMapper.StateName(state));
}
