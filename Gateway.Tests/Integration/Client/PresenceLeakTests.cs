using Gateway.Tests.Integration.Prosody;
using Gateway.Xmpp;
using Gateway.Xmpp.Protocol;

namespace Gateway.Tests.Integration.Client;

/// <summary>A client's automatic answers reveal that it is online: by default only contacts allowed to see its presence get them.</summary>
[Trait("Tier", "Integration")]
public sealed class PresenceLeakTests(ProsodyFixture prosody)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    [Trait("Spec", "RFC 6121 §8.5.3.1, XEP-0030, XEP-0092 §5, XEP-0199")]
    public async Task StrangerAsks_ServiceUnavailable_ContactWithSubscriptionAndOwnResourceAnswered()
    {
        var (alice, bob, eve) = (await prosody.CreateAccountAsync("alice", Token), await prosody.CreateAccountAsync("bob", Token), await prosody.CreateAccountAsync("eve", Token));
        await using var b = await TestClients.ConnectOnlineAsync(prosody.Server, bob);
        await using var a = await TestClients.ConnectOnlineAsync(prosody.Server, alice);
        await using var e = await TestClients.ConnectOnlineAsync(prosody.Server, eve);

        // The same answer the server gives for a resource that is not there: nothing tells eve that bob is online.
        Assert.Equal(StanzaErrorCondition.ServiceUnavailable, (await Assert.ThrowsAsync<StanzaErrorException>(() => e.PingAsync(b.Jid, cancellationToken: Token))).Error.Condition);
        Assert.Equal(StanzaErrorCondition.ServiceUnavailable, (await Assert.ThrowsAsync<StanzaErrorException>(() => e.GetSoftwareVersionAsync(b.Jid, Token))).Error.Condition);
        Assert.Equal(StanzaErrorCondition.ServiceUnavailable, (await Assert.ThrowsAsync<StanzaErrorException>(() => e.GetDiscoInfoAsync(b.Jid, Token))).Error.Condition);

        // Alice is allowed to see bob's presence once bob approves her subscription (bob's roster: 'from').
        await a.SubscribeAsync(b.Jid.Bare, Token);
        var request = await b.ReceiveAsync<Presence>(p => p.Type == PresenceType.Subscribe);
        await b.ApproveSubscriptionAsync(request.From!, Token);
        await b.ReceiveAsync<Iq>(iq => iq.AsRosterPush().Any(i => i.Jid == a.Jid.Bare && i.Subscription is RosterSubscription.From or RosterSubscription.Both));

        Assert.True(await a.PingAsync(b.Jid, cancellationToken: Token) > TimeSpan.Zero);
        Assert.False(string.IsNullOrEmpty((await a.GetSoftwareVersionAsync(b.Jid, Token)).Name));
        Assert.True((await a.GetDiscoInfoAsync(b.Jid, Token)).Supports(Ns.Ping));

        // The account's own other resources are not strangers.
        await using var b2 = await TestClients.ConnectAsync(prosody.Server, bob, "second");
        Assert.True(await b2.PingAsync(b.Jid, cancellationToken: Token) > TimeSpan.Zero);

        // Eve is still a stranger.
        await Assert.ThrowsAsync<StanzaErrorException>(() => e.PingAsync(b.Jid, cancellationToken: Token));
    }

    [Fact]
    [Trait("Spec", "XEP-0199")]
    public async Task RespondToAnyone_StrangerAnswered()
    {
        var (bob, eve) = (await prosody.CreateAccountAsync("bob", Token), await prosody.CreateAccountAsync("eve", Token));
        await using var b = await XmppClient.ConnectAsync(TestClients.Options(prosody.Server, bob) with { RespondTo = RespondTo.Anyone }, cancellationToken: Token);
        await using var e = await TestClients.ConnectOnlineAsync(prosody.Server, eve);

        Assert.True(await e.PingAsync(b.Jid, cancellationToken: Token) > TimeSpan.Zero);
    }
}
