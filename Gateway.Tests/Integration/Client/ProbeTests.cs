using System.Net;
using Gateway.Tests.Fakes;
using Gateway.Tests.Integration.Prosody;
using Gateway.Tests.Support;
using Gateway.Xmpp;

namespace Gateway.Tests.Integration.Client;

/// <summary><see cref="XmppClient.ProbeAsync"/>, the keepalive's proof that an idle stream still works.</summary>
[Trait("Tier", "Integration")]
public sealed class ProbeTests(ProsodyFixture prosody)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    [Trait("Spec", "XEP-0198 §4")]
    public async Task ProbeAsync_StreamManagementOn_AnsweredWithoutSendingAStanza()
    {
        var alice = await prosody.CreateAccountAsync("alice", Token);
        await using var client = await TestClients.ConnectOnlineAsync(prosody.Server, alice);
        Assert.True(client.IsStreamManagementEnabled);
        await client.RequestAcknowledgementAsync(Token);
        await Eventually.WaitUntilAsync(() => client.UnacknowledgedStanzas.Count == 0, TestClients.Patience);

        await client.ProbeAsync(TestClients.Patience, Token);

        // A XEP-0199 ping would be a stanza, still unacknowledged when its result arrives (the <r/> for it follows
        // after the quiet delay): the <r/> probe leaves nothing to acknowledge.
        Assert.Empty(client.UnacknowledgedStanzas);
        Assert.True(client.IsConnected);
    }

    [Fact]
    [Trait("Spec", "XEP-0199 §4.2")]
    public async Task ProbeAsync_StreamManagementOff_PingAnswered()
    {
        var alice = await prosody.CreateAccountAsync("alice", Token);
        await using var client = await XmppClient.ConnectAsync(TestClients.Options(prosody.Server, alice) with { EnableStreamManagement = false }, cancellationToken: Token);
        Assert.False(client.IsStreamManagementEnabled);

        await client.ProbeAsync(TestClients.Patience, Token);

        Assert.True(client.IsConnected);
    }

    [Fact]
    [Trait("Spec", "XEP-0198 §4")]
    public async Task ProbeAsync_NothingComesBack_TimesOut()
    {
        await using var proxy = FaultProxy.Start(new IPEndPoint(IPAddress.Loopback, prosody.Server.C2sPort));
        var alice = await prosody.CreateAccountAsync("alice", Token);
        await using var client = await XmppClient.ConnectAsync(TestClients.Options(prosody.Server, alice) with { Port = proxy.Port }, cancellationToken: Token);
        Assert.True(client.IsStreamManagementEnabled);

        proxy.Stall(true);
        var timeout = TimeSpan.FromMilliseconds(300);
        var ex = await Assert.ThrowsAsync<XmppTimeoutException>(() => client.ProbeAsync(timeout, Token));

        Assert.Equal(timeout, ex.Timeout);
        proxy.Stall(false);
    }

    [Fact]
    public async Task ProbeAsync_SessionEnded_ThrowsConnectionException()
    {
        var alice = await prosody.CreateAccountAsync("alice", Token);
        var client = await TestClients.ConnectAsync(prosody.Server, alice);
        await client.DisposeAsync();

        await Assert.ThrowsAnyAsync<XmppConnectionException>(() => client.ProbeAsync(TestClients.Patience, Token));
    }
}
