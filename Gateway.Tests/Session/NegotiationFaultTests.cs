using Gateway.Tests.Fakes;
using Gateway.Xmpp;

namespace Gateway.Tests.Session;

/// <summary>Server behaviour a real Prosody does not show, played by a scripted peer.</summary>
public sealed class NegotiationFaultTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static XmppClientOptions Options(int port) => new()
    {
        Jid = Jid.Parse("user@example.com"), Password = "secret", Host = "127.0.0.1", Port = port, ConnectTimeout = TimeSpan.FromSeconds(10),
    };

    [Fact]
    [Trait("Spec", "RFC 6120 §5.3.1")]
    public async Task ConnectAsync_ServerWithoutStartTls_RefusedNotDowngraded()
    {
        await using var server = new ScriptedXmppServer();
        var connecting = XmppClient.ConnectAsync(Options(server.Port), cancellationToken: Token);
        await server.AcceptAsync(Token);
        await server.ExpectAsync("<stream:stream", Token);
        await server.SendAsync(ScriptedXmppServer.ServerHeader + "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>", Token);

        var ex = await Assert.ThrowsAsync<XmppTlsException>(() => connecting);

        Assert.Contains("does not offer STARTTLS", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("<auth", server.Received, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Spec", "RFC 6120 §6.4.1")]
    public async Task ConnectAsync_PlaintextAllowedButOnlyPlainOffered_RefusesToSendPassword()
    {
        await using var server = new ScriptedXmppServer();
        var connecting = XmppClient.ConnectAsync(Options(server.Port) with { TlsMode = TlsMode.Disabled }, cancellationToken: Token);
        await server.AcceptAsync(Token);
        await server.ExpectAsync("<stream:stream", Token);
        await server.SendAsync(ScriptedXmppServer.ServerHeader + "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>", Token);

        var ex = await Assert.ThrowsAsync<SaslFailedException>(() => connecting);

        Assert.False(ex.IsCredentialFailure);
        Assert.DoesNotContain("<auth", server.Received, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Spec", "RFC 6120 §4.9")]
    public async Task ConnectAsync_StreamErrorDuringNegotiation_ThrowsWithCondition()
    {
        await using var server = new ScriptedXmppServer();
        var connecting = XmppClient.ConnectAsync(Options(server.Port), cancellationToken: Token);
        await server.AcceptAsync(Token);
        await server.ExpectAsync("<stream:stream", Token);
        await server.SendAsync(ScriptedXmppServer.ServerHeader + "<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>no such host</text></stream:error></stream:stream>", Token);

        var ex = await Assert.ThrowsAsync<StreamErrorException>(() => connecting);

        Assert.Equal(StreamErrorCondition.HostUnknown, ex.Condition);
        Assert.Equal("no such host", ex.Text);
        Assert.False(ex.IsTransient);
    }

    [Fact]
    [Trait("Spec", "RFC 6120 §11.1")]
    public async Task ConnectAsync_ServerSendsDoctype_ProtocolErrorRestrictedXml()
    {
        await using var server = new ScriptedXmppServer();
        var connecting = XmppClient.ConnectAsync(Options(server.Port), cancellationToken: Token);
        await server.AcceptAsync(Token);
        await server.ExpectAsync("<stream:stream", Token);
        await server.SendAsync("<?xml version='1.0'?><!DOCTYPE lol [<!ENTITY lol 'lol'>]>" + ScriptedXmppServer.ServerHeader, Token);

        var ex = await Assert.ThrowsAsync<XmppProtocolException>(() => connecting);

        Assert.Equal(StreamErrorCondition.RestrictedXml, ex.Condition);
    }

    [Fact]
    public async Task ConnectAsync_ServerSilent_TimesOut()
    {
        await using var server = new ScriptedXmppServer();
        var connecting = XmppClient.ConnectAsync(Options(server.Port) with { ConnectTimeout = TimeSpan.FromMilliseconds(500) }, cancellationToken: Token);
        await server.AcceptAsync(Token);

        var ex = await Assert.ThrowsAsync<XmppTimeoutException>(() => connecting);

        Assert.True(ex.IsTransient);
    }
}
