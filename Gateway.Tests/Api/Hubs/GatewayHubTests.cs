using System.Net;
using System.Net.Http.Json;
using System.Xml.Linq;
using Gateway.Api.Contracts;
using Gateway.Api.Hubs;
using Gateway.Tests.Integration.Client;
using Gateway.Tests.Integration.Prosody;
using Gateway.Tests.Support;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Api.Hubs;

/// <summary>The hub end to end: real Kestrel socket, real SignalR client, real pool, real Prosody.</summary>
[Trait("Tier", "Api")]
public sealed class GatewayHubTests(ProsodyFixture prosody) : HubEndToEndTest(prosody)
{
    private Task<(SessionDto Session, TestAccount Account)> CreateSessionAsync(string apiKey = GatewayApiFactory.AlphaKey) =>
        CreateSessionWithAccountAsync("hub", apiKey);

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key")]
    public async Task StartAsync_WithoutValidApiKey_Refused401(string? apiKey)
    {
        await using var connection = HubTestKit.Build(App, apiKey);

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => connection.StartAsync(Token));

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task StartAsync_ApiKeyHeader_Connects()
    {
        await using var connection = HubTestKit.Build(App, GatewayApiFactory.AlphaKey, viaHeader: true);

        await connection.StartAsync(Token);

        Assert.Equal(HubConnectionState.Connected, connection.State);
    }

    [Fact]
    public async Task Subscribe_UnknownSession_HubExceptionSessionNotFound()
    {
        var (connection, _) = await ConnectAsync();

        var refused = await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync<SubscriptionDto>("Subscribe", "no-such-session", Token));

        Assert.EndsWith("HubException: session-not-found: Session not found", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Subscribe_OtherTenantsSession_SameAnswerAsUnknown()
    {
        var (betaSession, _) = await CreateSessionAsync(GatewayApiFactory.BetaKey);
        var (alpha, _) = await ConnectAsync(GatewayApiFactory.AlphaKey);

        var foreign = await Assert.ThrowsAsync<HubException>(() => alpha.InvokeAsync<SubscriptionDto>("Subscribe", betaSession.Id, Token));
        var unknown = await Assert.ThrowsAsync<HubException>(() => alpha.InvokeAsync<SubscriptionDto>("Subscribe", "no-such-session", Token));
        var send = await Assert.ThrowsAsync<HubException>(() => alpha.InvokeAsync<StanzaAcceptedDto>("SendMessage", betaSession.Id, new SendMessageRequest { To = "x@localhost", Body = "hi" }, Token));

        Assert.Equal(unknown.Message.Replace("'Subscribe'", "", StringComparison.Ordinal), foreign.Message.Replace("'Subscribe'", "", StringComparison.Ordinal));
        Assert.Contains("session-not-found", send.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Spec", "RFC 6121 §5")]
    public async Task OnMessage_ContactSendsToSession_SubscriberGetsBodyPayloadsAndEventId()
    {
        var (session, _) = await CreateSessionAsync();
        var (connection, events) = await ConnectAsync();
        var subscription = await connection.InvokeAsync<SubscriptionDto>("Subscribe", session.Id, Token);
        await using var bob = await TestClients.ConnectOnlineAsync(Prosody.Server, await Prosody.CreateAccountAsync("bob", Token));
        var custom = XElement.Parse("<order xmlns='urn:example:shop' id='42'><item sku='x-1'>Tea &amp; biscuits</item></order>");

        await bob.SendAsync(new Message { To = Jid.Parse(session.BoundJid!), Type = MessageType.Chat, Body = "héllo 😀 <&>", Id = "m-1", Payload = [custom] }, Token);

        var e = await events.NextAsync<MessageDto>(m => m.Data.Id == "m-1");
        Assert.Equal((session.Id, EventKinds.Message), (e.SessionId, e.Kind));
        Assert.True(e.EventId > subscription.LastEventId, $"event {e.EventId} after subscription at {subscription.LastEventId}");
        Assert.Equal(bob.Jid.ToString(), e.Data.From);
        Assert.Equal("chat", e.Data.Type);
        Assert.Equal("héllo 😀 <&>", e.Data.Body);
        XmlAssert.Equivalent(custom, XElement.Parse(Assert.Single(e.Data.Payloads, p => p.Contains("urn:example:shop", StringComparison.Ordinal))));
        Assert.True(DateTimeOffset.UtcNow - e.ReceivedAt < TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task OnSessionState_ConnectionAborted_ReconnectingThenOnline()
    {
        var (session, _) = await CreateSessionAsync();
        var (connection, events) = await ConnectAsync();
        var subscription = await connection.InvokeAsync<SubscriptionDto>("Subscribe", session.Id, Token);
        Assert.Equal("online", subscription.State);

        App.Services.GetRequiredService<ISessionPool>().Find(GatewayApiFactory.AlphaTenant, session.Id)!.AbortConnection();

        var reconnecting = await events.NextAsync<SessionStateDto>(e => e.Data.State == "reconnecting");
        var online = await events.NextAsync<SessionStateDto>(e => e.Data.State == "online");
        Assert.False(string.IsNullOrEmpty(reconnecting.Data.Reason));
        Assert.True(online.EventId > reconnecting.EventId);
        Assert.Equal(session.Id, online.SessionId);
    }

    [Fact]
    [Trait("Spec", "RFC 6121 §2.1.6")]
    public async Task OnRosterPush_RosterAddAndRemoveViaRest_PushesArrive()
    {
        var (session, _) = await CreateSessionAsync();
        var (connection, events) = await ConnectAsync();
        await connection.InvokeAsync<SubscriptionDto>("Subscribe", session.Id, Token);
        using var rest = App.CreateAlphaClient();
        var contact = $"carol-{Guid.NewGuid():N}@{Prosody.Server.Domain}";

        // RFC 6121 §2.1.6: the server pushes to "interested" resources, those that requested the roster.
        (await rest.GetAsync($"/api/v1/sessions/{session.Id}/roster", Token)).EnsureSuccessStatusCode();
        var put = await rest.PutAsJsonAsync($"/api/v1/sessions/{session.Id}/roster/{contact}", new PutRosterItemRequest { Name = "Carol", Groups = ["Friends"] }, GatewayApiFactory.Json, Token);
        Assert.True(put.IsSuccessStatusCode, $"PUT roster item: {(int)put.StatusCode}");
        var added = await events.NextAsync<RosterItemDto>(e => e.Data.Jid == contact && e.Data.Subscription != "remove");
        (await rest.DeleteAsync($"/api/v1/sessions/{session.Id}/roster/{contact}", Token)).EnsureSuccessStatusCode();
        var removed = await events.NextAsync<RosterItemDto>(e => e.Data.Jid == contact && e.Data.Subscription == "remove");

        Assert.Equal(EventKinds.RosterPush, added.Kind);
        Assert.Equal("Carol", added.Data.Name);
        Assert.Equal(["Friends"], added.Data.Groups);
        Assert.Equal("none", added.Data.Subscription);
        Assert.True(removed.EventId > added.EventId);
    }

    [Fact]
    [Trait("Spec", "RFC 6121 §4.6")]
    public async Task OnPresence_ContactSendsDirectedPresence_SubscriberGetsShowAndStatus()
    {
        var (session, _) = await CreateSessionAsync();
        var (connection, events) = await ConnectAsync();
        await connection.InvokeAsync<SubscriptionDto>("Subscribe", session.Id, Token);
        await using var bob = await TestClients.ConnectOnlineAsync(Prosody.Server, await Prosody.CreateAccountAsync("bob", Token));

        await bob.SendAsync(new Presence { To = Jid.Parse(session.BoundJid!), Show = PresenceShow.Dnd, Status = "in a meeting", Id = "p-1" }, Token);

        var e = await events.NextAsync<PresenceDto>(p => p.Data.Id == "p-1");
        Assert.Equal(EventKinds.Presence, e.Kind);
        Assert.Equal(("available", "dnd", "in a meeting"), (e.Data.Type, e.Data.Show, e.Data.Status));
        Assert.Equal(bob.Jid.ToString(), e.Data.From);
    }

    [Fact]
    [Trait("Spec", "RFC 6120 §8.2.3")]
    public async Task AnswerIq_RequestFromContact_ContactGetsTheAnswer()
    {
        var (session, _) = await CreateSessionAsync();
        var (connection, events) = await ConnectAsync();
        await connection.InvokeAsync<SubscriptionDto>("Subscribe", session.Id, Token);
        await using var bob = await TestClients.ConnectOnlineAsync(Prosody.Server, await Prosody.CreateAccountAsync("bob", Token));
        var query = new Iq { To = Jid.Parse(session.BoundJid!), Type = IqType.Get, Payload = [XElement.Parse("<stock xmlns='urn:example:shop' sku='x-1'/>")] };

        var reply = bob.SendIqAsync(query, cancellationToken: Token);
        var request = await events.NextAsync<IqRequestDto>();
        var answered = await connection.InvokeAsync<bool>("AnswerIq", session.Id, new AnswerIqRequest
        {
            Id = request.Data.Iq.Id, To = request.Data.Iq.From, Payload = "<stock xmlns='urn:example:shop' sku='x-1' count='7'/>",
        }, Token);

        Assert.True(answered);
        Assert.Equal(EventKinds.IqRequest, request.Kind);
        Assert.Equal(bob.Jid.ToString(), request.Data.Iq.From);
        Assert.True(request.Data.AnswerBy > request.ReceivedAt);
        Assert.Equal("7", (string?)(await reply).Query?.Attribute("count"));
        Assert.False(await connection.InvokeAsync<bool>("AnswerIq", session.Id, new AnswerIqRequest { Id = request.Data.Iq.Id }, Token), "a second answer must be refused");
    }

    [Fact]
    public async Task SendMessage_ViaHub_ReachesContact()
    {
        var (session, _) = await CreateSessionAsync();
        var (connection, _) = await ConnectAsync();
        await using var bob = await TestClients.ConnectOnlineAsync(Prosody.Server, await Prosody.CreateAccountAsync("bob", Token));

        var receipt = await connection.InvokeAsync<StanzaAcceptedDto>("SendMessage", session.Id, new SendMessageRequest
        {
            To = bob.Jid.ToString(), Body = "from the hub", Payloads = ["<active xmlns='http://jabber.org/protocol/chatstates'/>"], Wait = "server",
        }, Token);

        Assert.True(receipt.AckedByServer);
        var received = await bob.ReceiveAsync<Message>(m => m.Id == receipt.Id);
        Assert.Equal("from the hub", received.Body);
        Assert.Equal(MessageType.Chat, received.Type);
        Assert.Equal(session.BoundJid, received.From?.ToString());
        Assert.NotNull(received.FindPayload(XName.Get("active", "http://jabber.org/protocol/chatstates")));
    }

    [Fact]
    public async Task SendMessage_InvalidRequest_HubExceptionNamesTheField()
    {
        var (session, _) = await CreateSessionAsync();
        var (connection, _) = await ConnectAsync();

        var refused = await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync<StanzaAcceptedDto>("SendMessage", session.Id, new SendMessageRequest { To = "not a jid@", Body = "x" }, Token));

        Assert.Contains("validation-failed: to is not a valid JID", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Spec", "XEP-0092")]
    public async Task SendIq_SoftwareVersionOfServer_ReturnsResultIq()
    {
        var (session, _) = await CreateSessionAsync();
        var (connection, _) = await ConnectAsync();

        var reply = await connection.InvokeAsync<IqDto>("SendIq", session.Id, new SendIqRequest { To = Prosody.Server.Domain, Payload = "<query xmlns='jabber:iq:version'/>" }, Token);

        Assert.Equal("result", reply.Type);
        Assert.Contains("Prosody", reply.Payload, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Spec", "RFC 6120 §8.3")]
    public async Task SendIq_UnsupportedQuery_HubExceptionCarriesXmppCondition()
    {
        var (session, _) = await CreateSessionAsync();
        var (connection, _) = await ConnectAsync();

        var refused = await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync<IqDto>("SendIq", session.Id, new SendIqRequest { To = Prosody.Server.Domain, Payload = "<query xmlns='urn:example:nothing-here'/>" }, Token));

        Assert.Contains("xmpp-stanza-error (service-unavailable)", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unsubscribe_EventsStopUntilSubscribedAgain()
    {
        var (session, _) = await CreateSessionAsync();
        var (connection, events) = await ConnectAsync();
        var (witness, witnessEvents) = await ConnectAsync();
        await connection.InvokeAsync<SubscriptionDto>("Subscribe", session.Id, Token);
        await witness.InvokeAsync<SubscriptionDto>("Subscribe", session.Id, Token);
        await using var bob = await TestClients.ConnectOnlineAsync(Prosody.Server, await Prosody.CreateAccountAsync("bob", Token));
        var to = Jid.Parse(session.BoundJid!);

        await connection.InvokeAsync("Unsubscribe", session.Id, Token);
        await bob.SendAsync(new Message { To = to, Type = MessageType.Chat, Body = "unheard", Id = "u-1" }, Token);

        // The dispatcher hands each event to every subscriber's queue before it takes the next: once the witness has
        // u-1, the dispatcher was past it while we were out.
        await witnessEvents.NextAsync<MessageDto>(m => m.Data.Id == "u-1");
        await connection.InvokeAsync<SubscriptionDto>("Subscribe", session.Id, Token);
        await bob.SendAsync(new Message { To = to, Type = MessageType.Chat, Body = "heard", Id = "u-2" }, Token);

        await events.NextAsync<MessageDto>(m => m.Data.Id == "u-2");
        Assert.False(events.Received<MessageDto>(m => m.Data.Id == "u-1"), "an event sent while unsubscribed arrived");
    }
}
