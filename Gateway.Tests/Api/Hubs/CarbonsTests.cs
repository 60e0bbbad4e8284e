using System.Xml.Linq;
using Gateway.Api.Contracts;
using Gateway.Api.Hubs;
using Gateway.Tests.Integration.Client;
using Gateway.Tests.Integration.Prosody;
using Gateway.Xmpp;
using Gateway.Xmpp.Protocol;
using Microsoft.AspNetCore.SignalR.Client;

namespace Gateway.Tests.Api.Hubs;

/// <summary>
/// XEP-0280 end to end against Prosody's mod_carbons: a second resource of the session's own account (a plain library
/// client) sends and receives, and the session publishes the copies marked; a stranger's forged copy is dropped.
/// </summary>
[Trait("Tier", "Integration")]
public sealed class CarbonsTests(ProsodyFixture prosody) : HubEndToEndTest(prosody)
{
    private async Task<(SessionDto Session, TestAccount Alice, EventRecorder Events)> SessionAsync(bool? carbons = null)
    {
        var alice = await Prosody.CreateAccountAsync("alice", Token);
        using var rest = App.CreateAlphaClient();
        var response = await rest.PostJsonAsync("/api/v1/sessions", new CreateSessionRequest
        {
            Id = "s-" + alice.User, Jid = alice.Bare, Password = alice.Password, Resource = "gateway",
            Host = Prosody.Server.Host, Port = Prosody.Server.C2sPort, Carbons = carbons,
        });
        var session = await response.ReadAsync<SessionDto>(201);
        var (connection, events) = await ConnectAsync();
        await connection.InvokeAsync<SubscriptionDto>("Subscribe", session.Id, Token);
        return (session, alice, events);
    }

    [Fact]
    [Trait("Spec", "XEP-0280 §7, §8")]
    public async Task OtherResourceReceivesAndSends_SessionPublishesMarkedCopies()
    {
        var (session, alice, events) = await SessionAsync();
        await using var phone = await TestClients.ConnectOnlineAsync(Prosody.Server, alice, "phone");
        await using var bob = await TestClients.ConnectOnlineAsync(Prosody.Server, await Prosody.CreateAccountAsync("bob", Token));

        await bob.SendAsync(new Message { To = phone.Jid, Id = "to-phone", Type = MessageType.Chat, Body = "for your phone", Payload = [ChatStateElements.Create(ChatState.Active)] }, Token);
        await phone.ReceiveAsync<Message>(m => m.Id == "to-phone");
        await phone.SendAsync(new Message { To = bob.Jid.Bare, Id = "from-phone", Type = MessageType.Chat, Body = "sent from my phone", Payload = [ReactionElements.Create(new MessageReactions("x", ["👍"]))] }, Token);
        await bob.ReceiveAsync<Message>(m => m.Id == "from-phone");

        var received = (await events.NextAsync<MessageDto>(e => e.Data.Id == "to-phone")).Data;
        Assert.Equal(("received", bob.Jid.ToString(), phone.Jid.ToString(), "for your phone"), (received.Carbon, received.From, received.To, received.Body));
        Assert.Equal("active", received.ChatState);
        Assert.DoesNotContain(received.Payloads, p => p.Contains(Ns.Carbons, StringComparison.Ordinal));

        // A sent copy is a message from the account's other resource to someone else.
        var sent = (await events.NextAsync<MessageDto>(e => e.Data.Id == "from-phone")).Data;
        Assert.Equal(("sent", phone.Jid.ToString(), bob.Jid.Bare.ToString()), (sent.Carbon, sent.From, sent.To));
        Assert.Equal(["👍"], sent.Reactions!.Emojis!);

        // A message to the session itself is no copy.
        await bob.SendAsync(new Message { To = Jid.Parse(session.BoundJid!), Id = "direct", Type = MessageType.Chat, Body = "to the gateway" }, Token);
        Assert.Null((await events.NextAsync<MessageDto>(e => e.Data.Id == "direct")).Data.Carbon);
    }

    [Fact]
    [Trait("Spec", "XEP-0280 §11")]
    public async Task StrangerForgesACopy_Dropped()
    {
        var (session, alice, events) = await SessionAsync();
        await using var mallory = await TestClients.ConnectOnlineAsync(Prosody.Server, await Prosody.CreateAccountAsync("mallory", Token));
        var forgedInner = new Message { From = Jid.Parse($"{alice.Bare}/phone"), To = Jid.Parse("bank@example.com"), Id = "forged", Type = MessageType.Chat, Body = "transfer everything" };
        var forged = CarbonElements.Wrap(CarbonDirection.Sent, forgedInner, from: null, to: Jid.Parse(session.BoundJid!)) with { Id = "wrapper" };

        await mallory.SendAsync(forged, Token);
        await mallory.SendAsync(new Message { To = Jid.Parse(session.BoundJid!), Id = "sentinel", Type = MessageType.Chat, Body = "after" }, Token);

        await events.NextAsync<MessageDto>(e => e.Data.Id == "sentinel");
        Assert.False(events.Received<MessageDto>(e => e.Data.Id is "forged" or "wrapper"));
        Assert.Contains(App.Logs.Entries, e => e.EventId.Id == 4283);
    }

    [Fact]
    [Trait("Spec", "XEP-0280 §4")]
    public async Task CarbonsDisabledForTheSession_NoCopies()
    {
        var (session, alice, events) = await SessionAsync(carbons: false);
        await using var phone = await TestClients.ConnectOnlineAsync(Prosody.Server, alice, "phone");
        await using var bob = await TestClients.ConnectOnlineAsync(Prosody.Server, await Prosody.CreateAccountAsync("bob", Token));

        await bob.SendAsync(new Message { To = phone.Jid, Id = "to-phone", Type = MessageType.Chat, Body = "for your phone" }, Token);
        await phone.ReceiveAsync<Message>(m => m.Id == "to-phone");
        await bob.SendAsync(new Message { To = Jid.Parse(session.BoundJid!), Id = "sentinel", Type = MessageType.Chat, Body = "to the gateway" }, Token);

        await events.NextAsync<MessageDto>(e => e.Data.Id == "sentinel");
        Assert.False(events.Received<MessageDto>(e => e.Data.Id == "to-phone"));
    }

    [Fact]
    [Trait("Spec", "XEP-0280 §9")]
    public async Task SendWithNoCopy_OtherResourceGetsNoCopy()
    {
        var (session, alice, _) = await SessionAsync();
        await using var phone = await TestClients.ConnectOnlineAsync(Prosody.Server, alice, "phone");
        await phone.SendIqAsync(CarbonElements.EnableRequest(), TestClients.Patience, Token);
        await using var bob = await TestClients.ConnectOnlineAsync(Prosody.Server, await Prosody.CreateAccountAsync("bob", Token));
        using var rest = App.CreateAlphaClient();
        var url = $"/api/v1/sessions/{session.Id}/messages";

        (await rest.PostJsonAsync(url, new PostMessageRequest { To = bob.Jid.ToString(), Id = "private-1", Body = "only for bob", NoCopy = true })).EnsureSuccessStatusCode();
        (await rest.PostJsonAsync(url, new PostMessageRequest { To = bob.Jid.ToString(), Id = "public-1", Body = "for everyone" })).EnsureSuccessStatusCode();

        var first = await phone.ReceiveAsync<Message>(CarbonElements.IsWrapper);
        Assert.True(CarbonElements.TryUnwrap(first, out var direction, out var copied, out _));
        Assert.Equal((CarbonDirection.Sent, "public-1"), (direction, copied.Id));
        var privateOne = await bob.ReceiveAsync<Message>(m => m.Id == "private-1");
        Assert.NotNull(privateOne.FindPayload(XName.Get("no-copy", Ns.Hints)));
    }
}
