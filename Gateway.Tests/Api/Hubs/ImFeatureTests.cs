using System.Xml.Linq;
using Gateway.Api.Contracts;
using Gateway.Api.Hubs;
using Gateway.Tests.Integration.Client;
using Gateway.Tests.Integration.Prosody;
using Gateway.Tests.Support;
using Gateway.Xmpp;
using Gateway.Xmpp.Protocol;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace Gateway.Tests.Api.Hubs;

/// <summary>
/// The typed IM features end to end, both ways: a contact (a plain library client on its own account) sends each one
/// to a session and the hub event carries the typed field; the session sends each one through REST or the hub and the
/// contact receives the right XML.
/// </summary>
[Trait("Tier", "Integration")]
public sealed class ImFeatureTests(ProsodyFixture prosody) : HubEndToEndTest(prosody)
{
    private async Task<(SessionDto Session, EventRecorder Events, XmppClient Bob)> SetUpAsync()
    {
        var (session, _) = await CreateSessionWithAccountAsync("im");
        var (connection, events) = await ConnectAsync();
        await connection.InvokeAsync<SubscriptionDto>("Subscribe", session.Id, Token);
        var bob = await TestClients.ConnectOnlineAsync(Prosody.Server, await Prosody.CreateAccountAsync("bob", Token));
        return (session, events, bob);
    }

    private static Message Chat(string to, string id, string? body, params XElement[] payload) =>
        new() { To = Jid.Parse(to), Id = id, Type = MessageType.Chat, Body = body, Payload = [.. payload] };

    [Fact]
    [Trait("Spec", "XEP-0085, XEP-0308, XEP-0424, XEP-0461, XEP-0444, XEP-0066, XEP-0333")]
    public async Task OnMessage_ContactSendsEachFeature_EventHasTypedFieldAndPayload()
    {
        var (session, events, bob) = await SetUpAsync();
        await using var _ = bob;
        var to = session.BoundJid!;

        // Something of the session's for the marker to name, so the marker also moves its delivery status.
        using var rest = App.CreateAlphaClient();
        (await rest.PostJsonAsync($"/api/v1/sessions/{session.Id}/messages", new PostMessageRequest { To = bob.Jid.ToString(), Body = "hello", Id = "gw-1" })).EnsureSuccessStatusCode();
        await bob.ReceiveAsync<Message>(m => m.Id == "gw-1");

        await bob.SendAsync(Chat(to, "cs", null, ChatStateElements.Create(ChatState.Composing)), Token);
        await bob.SendAsync(Chat(to, "fix", "fixed text", CorrectionElements.Create("orig-1")), Token);
        await bob.SendAsync(Chat(to, "ret", RetractionElements.FallbackBody, [.. RetractionElements.CreateWithFallback("orig-2")]), Token);
        await bob.SendAsync(Chat(to, "rep", "Great idea!", ReplyElements.Create(new MessageReply("orig-3", Jid.Parse(to).Bare))), Token);
        await bob.SendAsync(Chat(to, "rea", null, ReactionElements.Create(new MessageReactions("orig-4", ["👍", "🎉"])), HintElements.StoreHint()), Token);
        await bob.SendAsync(Chat(to, "oob", "https://upload.example.com/x.png", OobElements.Create(new OutOfBandData("https://upload.example.com/x.png", "a picture"))), Token);
        await bob.SendAsync(Chat(to, "rcv", null, ReceiptElements.ReceivedFor("gw-1")), Token);
        await bob.SendAsync(Chat(to, "dsp", null, ReceiptElements.DisplayedFor("gw-1")), Token);

        var chatState = (await events.NextAsync<MessageDto>(e => e.Data.Id == "cs")).Data;
        Assert.Equal("composing", chatState.ChatState);
        Assert.Null(chatState.Body);
        Assert.Contains(chatState.Payloads, p => p.Contains("composing", StringComparison.Ordinal));

        var correction = (await events.NextAsync<MessageDto>(e => e.Data.Id == "fix")).Data;
        Assert.Equal(("fixed text", "orig-1"), (correction.Body, correction.Replaces));

        var retraction = (await events.NextAsync<MessageDto>(e => e.Data.Id == "ret")).Data;
        Assert.Equal("orig-2", retraction.Retracts);
        Assert.Contains(retraction.Payloads, p => p.Contains("urn:xmpp:fallback:0", StringComparison.Ordinal));

        var reply = (await events.NextAsync<MessageDto>(e => e.Data.Id == "rep")).Data;
        Assert.Equal(new ReplyToDto { Id = "orig-3", To = Jid.Parse(to).Bare.ToString() }, reply.ReplyTo);

        var reactions = (await events.NextAsync<MessageDto>(e => e.Data.Id == "rea")).Data;
        Assert.Equal("orig-4", reactions.Reactions?.Id);
        Assert.Equal(["👍", "🎉"], reactions.Reactions!.Emojis!);
        Assert.Null(reactions.Body);

        var oob = (await events.NextAsync<MessageDto>(e => e.Data.Id == "oob")).Data;
        Assert.Equal(new OobDto { Url = "https://upload.example.com/x.png", Desc = "a picture" }, oob.Oob);

        Assert.Equal("gw-1", (await events.NextAsync<MessageDto>(e => e.Data.Id == "rcv")).Data.Received);
        var displayed = (await events.NextAsync<MessageDto>(e => e.Data.Id == "dsp")).Data;
        Assert.Equal("gw-1", displayed.Displayed);
        Assert.All([chatState, correction, retraction, reply, reactions, oob, displayed], m => Assert.Null(m.Carbon));

        // The receipt and the marker still move the delivery status of what the session sent (XEP-0184, XEP-0333 §3.3).
        await events.NextAsync<MessageStatusDto>(e => e.Data.MessageId == "gw-1" && e.Data.Status == "delivered");
        var status = await events.NextAsync<MessageStatusDto>(e => e.Data.MessageId == "gw-1" && e.Data.Status == "displayed");
        Assert.Equal(bob.Jid.Bare.ToString(), Jid.Parse(status.Data.To!).Bare.ToString());
    }

    [Fact]
    [Trait("Spec", "XEP-0085, XEP-0308, XEP-0424, XEP-0461, XEP-0444, XEP-0066, XEP-0333")]
    public async Task SendMessage_EachFeatureViaRestAndHub_ContactReceivesTheXml()
    {
        var (session, _, bob) = await SetUpAsync();
        await using var _ = bob;
        var (hub, _) = await ConnectAsync();
        using var rest = App.CreateAlphaClient();
        var url = $"/api/v1/sessions/{session.Id}/messages";
        var contact = bob.Jid.ToString();

        async Task<Message> SendAsync(PostMessageRequest request)
        {
            (await rest.PostJsonAsync(url, request with { To = contact })).EnsureSuccessStatusCode();
            return await bob.ReceiveAsync<Message>(m => m.Id == request.Id);
        }

        var chatState = await SendAsync(new PostMessageRequest { To = "", Id = "cs", ChatState = "composing" });
        Assert.Null(chatState.Body);
        Assert.NotNull(chatState.FindPayload(XName.Get("composing", Ns.ChatStates)));

        // XEP-0184 §5.4 / XEP-0333: nothing to confirm in a chat state, so no receipt request and no markable flag.
        Assert.Null(chatState.FindPayload(ReceiptElements.Request));
        Assert.Null(chatState.FindPayload(ReceiptElements.Markable));

        var correction = await SendAsync(new PostMessageRequest { To = "", Id = "fix", Body = "fixed", Replaces = "orig-1" });
        Assert.Equal(("fixed", "orig-1"), (correction.Body, CorrectionElements.ReadReplacedId(correction)));

        var retraction = await SendAsync(new PostMessageRequest { To = "", Id = "ret", Retracts = "orig-2" });
        Assert.Equal(("orig-2", RetractionElements.FallbackBody), (RetractionElements.ReadRetractedId(retraction), retraction.Body));
        Assert.Equal([Ns.MessageRetract], FallbackElements.ReadFor(retraction));
        Assert.NotNull(retraction.FindPayload(HintElements.Store));

        var reply = await SendAsync(new PostMessageRequest { To = "", Id = "rep", Body = "yes", ReplyTo = new ReplyToDto { Id = "orig-3", To = contact } });
        Assert.Equal(new MessageReply("orig-3", bob.Jid), ReplyElements.Read(reply));

        var oob = await SendAsync(new PostMessageRequest { To = "", Id = "oob", Oob = new OobDto { Url = "https://upload.example.com/y.pdf", Desc = "invoice" } });
        Assert.Equal(("https://upload.example.com/y.pdf", new OutOfBandData("https://upload.example.com/y.pdf", "invoice")), (oob.Body, OobElements.Read(oob)));

        var displayed = await SendAsync(new PostMessageRequest { To = "", Id = "dsp", Displayed = "their-1" });
        XmlAssert.Equivalent(XElement.Parse("<displayed xmlns='urn:xmpp:chat-markers:0' id='their-1'/>"), displayed.FindPayload(ReceiptElements.MarkerDisplayed)!);
        Assert.Null(displayed.Body);

        await hub.InvokeAsync<StanzaAcceptedDto>("SendMessage", session.Id, new SendMessageRequest
        {
            To = contact, Id = "rea", Reactions = new ReactionsDto { Id = "their-2", Emojis = ["👍"] },
        }, Token);
        var reactions = await bob.ReceiveAsync<Message>(m => m.Id == "rea");
        Assert.Equal(new MessageReactions("their-2", ["👍"]).Id, ReactionElements.Read(reactions)?.Id);
        Assert.Equal(["👍"], ReactionElements.Read(reactions)!.Emojis);
        Assert.Null(reactions.Body);
    }

    [Fact]
    [Trait("Spec", "XEP-0184, XEP-0333, XEP-0359 §3.3")]
    public async Task SendMessage_RequestReceiptsFalse_ViaRestBatchAndHub_NoRequestNoMarkableStatusAcked()
    {
        var (session, _) = await CreateSessionWithAccountAsync("im");
        await using var bob = await TestClients.ConnectOnlineAsync(Prosody.Server, await Prosody.CreateAccountAsync("bob", Token));
        var (hub, _) = await ConnectAsync();
        using var rest = App.CreateAlphaClient();
        var url = $"/api/v1/sessions/{session.Id}/messages";
        var contact = bob.Jid.ToString();

        var single = await (await rest.PostJsonAsync($"{url}?wait=server", new PostMessageRequest { To = contact, Id = "quiet-rest", Body = "no reports", RequestReceipts = false }))
            .ReadAsync<StanzaAcceptedDto>(202);
        var batch = await (await rest.PostJsonAsync($"{url}/batch?wait=server", new PostMessageBatchRequest
        {
            Messages =
            [
                new PostMessageRequest { To = contact, Id = "quiet-batch", Body = "no reports", RequestReceipts = false },
                new PostMessageRequest { To = contact, Id = "loud-batch", Body = "reports please" },
            ],
        })).ReadAsync<MessageBatchResultDto>(202);
        var viaHub = await hub.InvokeAsync<StanzaAcceptedDto>("SendMessage", session.Id, new SendMessageRequest { To = contact, Id = "quiet-hub", Body = "no reports", RequestReceipts = false, Wait = "server" }, Token);

        Assert.True(single.AckedByServer && viaHub.AckedByServer);
        Assert.Equal((2, 0), (batch.Accepted, batch.Refused));
        foreach (var id in new[] { "quiet-rest", "quiet-batch", "quiet-hub" })
        {
            var quiet = await bob.ReceiveAsync<Message>(m => m.Id == id);
            Assert.Null(quiet.FindPayload(ReceiptElements.Request));
            Assert.Null(quiet.FindPayload(ReceiptElements.Markable));

            // The origin-id stays: the archive lookup after a failed resume finds the message by it.
            Assert.Equal(id, (string?)quiet.FindPayload(ReceiptElements.OriginId)?.Attribute("id"));
            Assert.Equal("acked", await rest.WaitForMessageStatusAsync(session.Id, id, s => s is not ("queued" or "sent")));
        }

        var loud = await bob.ReceiveAsync<Message>(m => m.Id == "loud-batch");
        Assert.NotNull(loud.FindPayload(ReceiptElements.Request));
        Assert.NotNull(loud.FindPayload(ReceiptElements.Markable));
    }

    [Fact]
    [Trait("Spec", "XEP-0184, XEP-0333")]
    public async Task SendMessage_SessionRequestReceiptsFalse_ItsSendsAskForNoneUnlessOneSaysSo()
    {
        var account = await Prosody.CreateAccountAsync("im", Token);
        await using var bob = await TestClients.ConnectOnlineAsync(Prosody.Server, await Prosody.CreateAccountAsync("bob", Token));
        using var rest = App.CreateAlphaClient();
        var session = await (await rest.PostJsonAsync("/api/v1/sessions", new CreateSessionRequest
        {
            Id = "s-quiet-" + account.User, Jid = account.Bare, Password = account.Password, Host = Prosody.Server.Host, Port = Prosody.Server.C2sPort,
            RequestReceipts = false,
        })).ReadAsync<SessionDto>(201);
        var url = $"/api/v1/sessions/{session.Id}/messages";

        // The session says what it does by default, as created and as read back; what the request left out is the
        // gateway's default (carbons on).
        var read = await (await rest.GetAsync($"/api/v1/sessions/{session.Id}", Token)).ReadAsync<SessionDto>(200);
        foreach (var settings in new[] { session.Settings, read.Settings })
        {
            Assert.False(settings.RequestReceipts);
            Assert.True(settings.Carbons);
            Assert.True(settings.SendInitialPresence);
            Assert.Equal((Prosody.Server.Host, Prosody.Server.C2sPort, "starttls"), (settings.Host, settings.Port, settings.TlsMode));
            Assert.Empty(settings.PinnedCertificateSha256);
        }
        var contact = bob.Jid.ToString();

        (await rest.PostJsonAsync(url, new PostMessageRequest { To = contact, Id = "by-default", Body = "quiet" })).EnsureSuccessStatusCode();
        (await rest.PostJsonAsync(url, new PostMessageRequest { To = contact, Id = "asked", Body = "reports please", RequestReceipts = true })).EnsureSuccessStatusCode();

        var quiet = await bob.ReceiveAsync<Message>(m => m.Id == "by-default");
        Assert.Null(quiet.FindPayload(ReceiptElements.Request));
        Assert.Null(quiet.FindPayload(ReceiptElements.Markable));
        var asked = await bob.ReceiveAsync<Message>(m => m.Id == "asked");
        Assert.NotNull(asked.FindPayload(ReceiptElements.Request));
        Assert.NotNull(asked.FindPayload(ReceiptElements.Markable));
    }

    [Fact]
    public async Task SendMessage_MalformedTypedFields_400NamingTheField_BatchRefusesOnlyThatMessage()
    {
        var (session, _) = await CreateSessionWithAccountAsync("im");
        var (hub, _) = await ConnectAsync();
        using var rest = App.CreateAlphaClient();
        var url = $"/api/v1/sessions/{session.Id}/messages";

        var badState = await (await rest.PostRawAsync(url, """{ "to": "bob@localhost", "chatState": "typing" }""")).ProblemAsync(400, "validation-failed");
        Assert.True(badState.GetProperty("errors").TryGetProperty("chatState", out _));
        var duplicate = await (await rest.PostRawAsync(url, """{ "to": "bob@localhost", "reactions": { "id": "m1", "emojis": ["👍", "👍"] } }""")).ProblemAsync(400, "validation-failed");
        Assert.True(duplicate.GetProperty("errors").TryGetProperty("reactions.emojis[1]", out _));
        var both = await (await rest.PostRawAsync(url, """{ "to": "bob@localhost", "chatState": "active", "payloads": ["<active xmlns='http://jabber.org/protocol/chatstates'/>"] }""")).ProblemAsync(400, "validation-failed");
        Assert.True(both.GetProperty("errors").TryGetProperty("chatState", out _));
        await (await rest.PostRawAsync(url, """{ "to": "bob@localhost", "oob": { "url": "file:///etc/passwd" } }""")).ProblemAsync(400, "validation-failed");
        await (await rest.PostRawAsync(url, """{ "to": "bob@localhost", "replyTo": "m1", "body": "x" }""")).ProblemAsync(400);
        var contradicts = await (await rest.PostRawAsync(url, """{ "to": "bob@localhost", "body": "x", "requestReceipts": false, "payloads": ["<request xmlns='urn:xmpp:receipts'/>"] }""")).ProblemAsync(400, "validation-failed");
        Assert.True(contradicts.GetProperty("errors").TryGetProperty("requestReceipts", out _));

        var batch = await rest.PostRawAsync($"{url}/batch", """{ "messages": [ { "to": "bob@localhost", "retracts": "" }, { "to": "bob@localhost", "chatState": "gone" } ] }""");
        var result = await batch.ReadAsync<MessageBatchResultDto>(202);
        Assert.Equal((1, 1), (result.Accepted, result.Refused));
        Assert.NotNull(result.Results[0].Problem);

        var refused = await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync<StanzaAcceptedDto>("SendMessage", session.Id, new SendMessageRequest { To = "bob@localhost", Displayed = "" }, Token));
        Assert.Contains("validation-failed: displayed", refused.Message, StringComparison.Ordinal);
    }
}
