using System.Net;
using Gateway.Tests.Fakes;
using Gateway.Xmpp;
using Gateway.Xmpp.Session;
using Gateway.Xmpp.Transport;

namespace Gateway.Tests.Session;

/// <summary>
/// Where the client connects: the address policy against server-side request forgery, see-other-host redirects and
/// falling back to the next server. Every connection goes through <see cref="RecordingSocketConnector"/>, which only
/// ever connects to loopback: addresses such as 10.0.0.5 below are recorded (or not), never reached.
/// </summary>
public sealed class ConnectTargetTests
{
    private const string SeeOtherHost = "<stream:error><see-other-host xmlns='urn:ietf:params:xml:ns:xmpp-streams'>{0}</see-other-host></stream:error></stream:stream>";
    private const string HostUnknown = "<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>";

    private readonly RecordingSocketConnector _connector = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private XmppClientOptions Options(string jid = "user@example.com") => new()
    {
        Jid = Jid.Parse(jid), Password = "secret", ConnectTimeout = TimeSpan.FromSeconds(10), SocketConnector = _connector,
    };

    [Fact]
    [Trait("Security", "SSRF")]
    public async Task ConnectAsync_SrvTargetResolvesToPrivateAddress_RefusedBeforeAnyConnect()
    {
        var addresses = new StubAddressResolver(IPAddress.Parse("10.0.0.5"), IPAddress.Parse("169.254.169.254"), IPAddress.Parse("fd00::5"));
        var srv = new StubEndpointResolver(new XmppEndpoint("xmpp.corp.example", 5222, DirectTls: false));

        var ex = await Assert.ThrowsAsync<XmppConnectionException>(() => XmppClient.ConnectAsync(Options() with { AddressResolver = addresses }, resolver: srv, cancellationToken: Token));

        Assert.Empty(_connector.Attempts);
        Assert.Equal(["xmpp.corp.example"], addresses.Asked);
        Assert.Equal("Could not connect to the XMPP server for example.com.", ex.Message);
    }

    [Theory]
    [Trait("Security", "SSRF")]
    [InlineData("user@127.0.0.1")]
    [InlineData("user@localhost")]
    [InlineData("user@[::1]")]
    [InlineData("user@10.1.2.3")]
    public async Task ConnectAsync_DomainIsLoopbackOrPrivate_RefusedWithoutDnsOrConnect(string jid)
    {
        var srv = new StubEndpointResolver();

        var ex = await Assert.ThrowsAsync<XmppConnectionException>(() => XmppClient.ConnectAsync(Options(jid), resolver: srv, cancellationToken: Token));

        Assert.Empty(_connector.Attempts);
        Assert.Equal(0, srv.Calls);
        Assert.DoesNotContain("5222", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Security", "SSRF")]
    public async Task ConnectAsync_PrivateAndPublicAddresses_ConnectsOnlyToThePublicOneAndReportsNoDetail()
    {
        var addresses = new StubAddressResolver(IPAddress.Parse("10.0.0.5"), IPAddress.Parse("192.0.2.10"));
        var srv = new StubEndpointResolver(new XmppEndpoint("xmpp.example.com", 5299, DirectTls: false));

        var ex = await Assert.ThrowsAsync<XmppConnectionException>(() => XmppClient.ConnectAsync(Options() with { AddressResolver = addresses }, resolver: srv, cancellationToken: Token));

        Assert.Equal([new IPEndPoint(IPAddress.Parse("192.0.2.10"), 5299)], _connector.Attempts);
        foreach (var detail in new[] { "192.0.2.10", "5299", "xmpp.example.com", "HostUnreachable" })
        {
            Assert.DoesNotContain(detail, ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ConnectAsync_PrivateAddressesAllowed_ConnectsToTheCheckedAddressNotTheName()
    {
        await using var server = new ScriptedXmppServer();
        var addresses = new StubAddressResolver(IPAddress.Loopback);
        var srv = new StubEndpointResolver(new XmppEndpoint("xmpp.example.com", server.Port, DirectTls: false));
        var options = Options() with { AddressResolver = addresses, AllowPrivateAddresses = true, TlsMode = TlsMode.Disabled };

        var connecting = XmppClient.ConnectAsync(options, resolver: srv, cancellationToken: Token);
        await server.AcceptAsync(Token);
        await server.ExpectAsync("<stream:stream", Token);
        await server.SendAsync(ScriptedXmppServer.ServerHeader + HostUnknown, Token);

        await Assert.ThrowsAsync<StreamErrorException>(() => connecting);
        Assert.Equal([new IPEndPoint(IPAddress.Loopback, server.Port)], _connector.Attempts);
        Assert.Equal(["xmpp.example.com"], addresses.Asked);
    }

    [Fact]
    [Trait("Spec", "RFC 6120 §4.9.3.19")]
    public async Task ConnectAsync_SeeOtherHost_ReconnectsToTheNamedHost()
    {
        await using var first = new ScriptedXmppServer();
        await using var second = new ScriptedXmppServer();
        var options = Options() with { Host = "127.0.0.1", Port = first.Port, TlsMode = TlsMode.Disabled, AllowPrivateAddresses = true };

        var connecting = XmppClient.ConnectAsync(options, cancellationToken: Token);
        await first.AcceptAsync(Token);
        await first.ExpectAsync("<stream:stream", Token);
        await first.SendAsync(ScriptedXmppServer.ServerHeader + string.Format(System.Globalization.CultureInfo.InvariantCulture, SeeOtherHost, $"127.0.0.1:{second.Port}"), Token);
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(Token);
        patience.CancelAfter(TimeSpan.FromSeconds(10));
        await second.AcceptAsync(patience.Token);
        await second.ExpectAsync("to='example.com'", patience.Token);
        await second.SendAsync(ScriptedXmppServer.ServerHeader + HostUnknown, Token);

        var ex = await Assert.ThrowsAsync<StreamErrorException>(() => connecting);
        Assert.Equal(StreamErrorCondition.HostUnknown, ex.Condition);
        Assert.Equal([first.Port, second.Port], _connector.Attempts.Select(a => a.Port));
    }

    [Fact]
    [Trait("Spec", "RFC 6120 §4.9.3.19")]
    [Trait("Security", "SSRF")]
    public async Task ConnectAsync_SeeOtherHostToPrivateAddress_RefusedWhenNotAllowed()
    {
        await using var server = new ScriptedXmppServer();
        var options = Options() with { Host = "127.0.0.1", Port = server.Port, TlsMode = TlsMode.Disabled };

        var connecting = XmppClient.ConnectAsync(options, cancellationToken: Token);
        await server.AcceptAsync(Token);
        await server.ExpectAsync("<stream:stream", Token);
        await server.SendAsync(ScriptedXmppServer.ServerHeader + string.Format(System.Globalization.CultureInfo.InvariantCulture, SeeOtherHost, "10.0.0.5:5222"), Token);

        var ex = await Assert.ThrowsAsync<XmppConnectionException>(() => connecting);
        Assert.Equal([new IPEndPoint(IPAddress.Loopback, server.Port)], _connector.Attempts);
        Assert.DoesNotContain("10.0.0.5", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Spec", "RFC 6120 §4.9.3.19")]
    public async Task ConnectAsync_SeeOtherHostLoop_GivesUpAfterMaxRedirects()
    {
        await using var server = new ScriptedXmppServer();
        var options = Options() with { Host = "127.0.0.1", Port = server.Port, TlsMode = TlsMode.Disabled, AllowPrivateAddresses = true };
        var redirect = ScriptedXmppServer.ServerHeader + string.Format(System.Globalization.CultureInfo.InvariantCulture, SeeOtherHost, $"127.0.0.1:{server.Port}");

        var connecting = XmppClient.ConnectAsync(options, cancellationToken: Token);
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(Token);
        patience.CancelAfter(TimeSpan.FromSeconds(10));
        for (var i = 0; i <= ServerSelection.MaxRedirects; i++)
        {
            await server.AcceptAsync(patience.Token);
            await server.SendAsync(redirect, Token);
        }

        var ex = await Assert.ThrowsAsync<StreamErrorException>(() => connecting);
        Assert.Equal(StreamErrorCondition.SeeOtherHost, ex.Condition);
        Assert.Equal(ServerSelection.MaxRedirects + 1, _connector.Attempts.Count);
    }

    [Fact]
    [Trait("Spec", "RFC 6120 §3.2.1")]
    public async Task ConnectAsync_FirstServerFailsTls_TriesTheNext()
    {
        await using var first = new ScriptedXmppServer();
        await using var second = new ScriptedXmppServer();
        var srv = new StubEndpointResolver(new XmppEndpoint("127.0.0.1", first.Port, DirectTls: false), new XmppEndpoint("127.0.0.1", second.Port, DirectTls: false));

        var connecting = XmppClient.ConnectAsync(Options() with { AllowPrivateAddresses = true }, resolver: srv, cancellationToken: Token);
        await first.AcceptAsync(Token);
        await first.ExpectAsync("<stream:stream", Token);
        await first.SendAsync(ScriptedXmppServer.ServerHeader + "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>", Token);
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(Token);
        patience.CancelAfter(TimeSpan.FromSeconds(10));
        await second.AcceptAsync(patience.Token);
        await second.ExpectAsync("<stream:stream", patience.Token);
        await second.SendAsync(ScriptedXmppServer.ServerHeader + HostUnknown, Token);

        var ex = await Assert.ThrowsAsync<StreamErrorException>(() => connecting);
        Assert.Equal(StreamErrorCondition.HostUnknown, ex.Condition);
    }

    [Fact]
    [Trait("Spec", "RFC 6120 §6.5")]
    public async Task ConnectAsync_FirstServerRefusesLogin_DoesNotTryTheNext()
    {
        await using var first = new ScriptedXmppServer();
        await using var second = new ScriptedXmppServer();
        var srv = new StubEndpointResolver(new XmppEndpoint("127.0.0.1", first.Port, DirectTls: false), new XmppEndpoint("127.0.0.1", second.Port, DirectTls: false));
        var options = Options() with { AllowPrivateAddresses = true, TlsMode = TlsMode.Disabled, AllowPlainAuthenticationWithoutTls = true };

        var connecting = XmppClient.ConnectAsync(options, resolver: srv, cancellationToken: Token);
        await first.AcceptAsync(Token);
        await first.ExpectAsync("<stream:stream", Token);
        await first.SendAsync(ScriptedXmppServer.ServerHeader + "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>", Token);
        await first.ExpectAsync("</auth>", Token);
        await first.SendAsync("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>", Token);

        var ex = await Assert.ThrowsAsync<SaslFailedException>(() => connecting);
        Assert.True(ex.IsCredentialFailure);
        Assert.Equal([first.Port], _connector.Attempts.Select(a => a.Port));
    }
}
