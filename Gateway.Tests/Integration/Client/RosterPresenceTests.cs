using Gateway.Tests.Integration.Prosody;
using Gateway.Xmpp;

namespace Gateway.Tests.Integration.Client;

[Trait("Tier", "Integration")]
public sealed class RosterPresenceTests(ProsodyFixture prosody)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    [Trait("Spec", "RFC 6121 §2.3, §2.5")]
    public async Task SetAndRemoveRosterItem_PushedAndReflectedInRoster()
    {
        var alice = await prosody.CreateAccountAsync("alice", Token);
        var contact = Jid.Parse($"carol-{Guid.NewGuid():N}@{prosody.Server.Domain}");
        await using var a = await TestClients.ConnectAsync(prosody.Server, alice);
        // RFC 6121 §2.1.6: only a resource that requested the roster receives pushes.
        await a.GetRosterAsync(Token);

        await a.SetRosterItemAsync(new RosterItem(contact) { Name = "Carol", Groups = ["Friends", "Work"] }, Token);
        var added = await a.ReceiveAsync<Iq>(iq => iq.AsRosterPush().Any(i => i.Jid == contact));
        var roster = await a.GetRosterAsync(Token);

        var pushed = Assert.Single(added.AsRosterPush());
        Assert.Equal("Carol", pushed.Name);
        Assert.Equal(["Friends", "Work"], pushed.Groups.Order(StringComparer.Ordinal));
        var item = Assert.Single(roster.Items, i => i.Jid == contact);
        Assert.Equal(RosterSubscription.None, item.Subscription);

        await a.RemoveRosterItemAsync(contact, Token);
        var removed = await a.ReceiveAsync<Iq>(iq => iq.AsRosterPush().Any(i => i.Jid == contact && i.Subscription == RosterSubscription.Remove));
        var after = await a.GetRosterAsync(Token);

        Assert.NotNull(removed);
        Assert.DoesNotContain(after.Items, i => i.Jid == contact);
    }

    [Fact]
    [Trait("Spec", "RFC 6121 §3.1")]
    public async Task Subscription_RequestedAndApproved_BothSeeStateAndPresence()
    {
        var (alice, bob) = (await prosody.CreateAccountAsync("alice", Token), await prosody.CreateAccountAsync("bob", Token));
        await using var a = await TestClients.ConnectOnlineAsync(prosody.Server, alice);
        await using var b = await TestClients.ConnectOnlineAsync(prosody.Server, bob);

        await a.SubscribeAsync(b.Jid, Token);
        var pendingPush = await a.ReceiveAsync<Iq>(iq => iq.AsRosterPush().Any(i => i.Jid == b.Jid.Bare && i.PendingOut));
        var request = await b.ReceiveAsync<Presence>(p => p.Type == PresenceType.Subscribe);
        Assert.Equal(a.Jid.Bare, request.From?.Bare);
        Assert.NotNull(pendingPush);

        await b.ApproveSubscriptionAsync(request.From!, Token);
        var approved = await a.ReceiveAsync<Presence>(p => p.Type == PresenceType.Subscribed);
        var subscribedPush = await a.ReceiveAsync<Iq>(iq => iq.AsRosterPush().Any(i => i.Jid == b.Jid.Bare && i.Subscription == RosterSubscription.To));
        Assert.Equal(b.Jid.Bare, approved.From?.Bare);
        Assert.NotNull(subscribedPush);

        // RFC 6121 §3.1.6: once subscribed, the contact's current presence is sent to the subscriber.
        await b.SendAsync(new Presence { Show = PresenceShow.Away, Status = "busy elsewhere" }, Token);
        var presence = await a.ReceiveAsync<Presence>(p => p.From == b.Jid && p.Show == PresenceShow.Away);
        Assert.Equal("busy elsewhere", presence.Status);

        var roster = await a.GetRosterAsync(Token);
        Assert.Contains(roster.Items, i => i.Jid == b.Jid.Bare && i.Subscription == RosterSubscription.To);
    }

    [Fact]
    [Trait("Spec", "RFC 6121 §3.2")]
    public async Task Subscription_Denied_RequesterToldUnsubscribed()
    {
        var (alice, bob) = (await prosody.CreateAccountAsync("alice", Token), await prosody.CreateAccountAsync("bob", Token));
        await using var a = await TestClients.ConnectOnlineAsync(prosody.Server, alice);
        await using var b = await TestClients.ConnectOnlineAsync(prosody.Server, bob);

        await a.SubscribeAsync(b.Jid, Token);
        var request = await b.ReceiveAsync<Presence>(p => p.Type == PresenceType.Subscribe);
        await b.DenySubscriptionAsync(request.From!, Token);

        var denied = await a.ReceiveAsync<Presence>(p => p.Type == PresenceType.Unsubscribed);
        Assert.Equal(b.Jid.Bare, denied.From?.Bare);
    }
}
