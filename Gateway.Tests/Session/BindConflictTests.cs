using Gateway.Tests.Fakes;
using Gateway.Xmpp;

namespace Gateway.Tests.Session;

/// <summary>RFC 6120 §7.7.2.2: a requested resource already in use, played by a scripted server.</summary>
[Trait("Tier", "Scripted")]
public sealed class BindConflictTests
{
    private const string Conflict =
        "<error type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    [Trait("Spec", "RFC 6120 §7.7.2.2")]
    public async Task ConnectAsync_ResourceConflictAtBind_RetriesThenBindsServerAssignedResource()
    {
        await using var server = new ScriptedXmppServer();
        var connecting = XmppClient.ConnectAsync(ScriptedNegotiation.ClientOptions(server.Port) with { Resource = "desk" }, cancellationToken: Token);
        await ScriptedNegotiation.AuthenticateAsync(server, Token);

        var (first, firstId) = await ScriptedNegotiation.ExpectIqAsync(server, Token);
        Assert.Contains("<resource>desk</resource>", first, StringComparison.Ordinal);
        await server.SendAsync($"<iq type='error' id='{firstId}'>{Conflict}</iq>", Token);

        var (retry, retryId) = await ScriptedNegotiation.ExpectIqAsync(server, Token);
        Assert.Contains("<resource>desk</resource>", retry, StringComparison.Ordinal);
        await server.SendAsync($"<iq type='error' id='{retryId}'>{Conflict}</iq>", Token);

        var (fallback, fallbackId) = await ScriptedNegotiation.ExpectIqAsync(server, Token);
        Assert.DoesNotContain("<resource", fallback, StringComparison.Ordinal);
        await server.SendAsync($"<iq type='result' id='{fallbackId}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>user@example.com/srv-7f3a</jid></bind></iq>", Token);

        await using var client = await connecting;
        Assert.Equal("srv-7f3a", client.Jid.Resource);
    }

    [Fact]
    [Trait("Spec", "RFC 6120 §7.7.2.2")]
    public async Task ConnectAsync_ResourceConflictThenFree_KeepsRequestedResource()
    {
        await using var server = new ScriptedXmppServer();
        var connecting = XmppClient.ConnectAsync(ScriptedNegotiation.ClientOptions(server.Port) with { Resource = "desk" }, cancellationToken: Token);
        await ScriptedNegotiation.AuthenticateAsync(server, Token);

        var (_, firstId) = await ScriptedNegotiation.ExpectIqAsync(server, Token);
        await server.SendAsync($"<iq type='error' id='{firstId}'>{Conflict}</iq>", Token);
        var (retry, retryId) = await ScriptedNegotiation.ExpectIqAsync(server, Token);
        Assert.Contains("<resource>desk</resource>", retry, StringComparison.Ordinal);
        await server.SendAsync($"<iq type='result' id='{retryId}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>user@example.com/desk</jid></bind></iq>", Token);

        await using var client = await connecting;
        Assert.Equal("desk", client.Jid.Resource);
    }

    [Fact]
    public async Task ConnectAsync_OtherBindError_StillFails()
    {
        await using var server = new ScriptedXmppServer();
        var connecting = XmppClient.ConnectAsync(ScriptedNegotiation.ClientOptions(server.Port) with { Resource = "desk" }, cancellationToken: Token);
        await ScriptedNegotiation.AuthenticateAsync(server, Token);

        var (_, id) = await ScriptedNegotiation.ExpectIqAsync(server, Token);
        await server.SendAsync($"<iq type='error' id='{id}'><error type='cancel'><not-allowed xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>", Token);

        var ex = await Assert.ThrowsAsync<StanzaErrorException>(() => connecting);
        Assert.Equal(StanzaErrorCondition.NotAllowed, ex.Error.Condition);
    }
}
