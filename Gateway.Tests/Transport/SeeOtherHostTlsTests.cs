using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Gateway.Xmpp;

namespace Gateway.Tests.Transport;

/// <summary>A redirect changes where the client connects, never whose certificate it accepts. Loopback TLS servers in the test.</summary>
public sealed class SeeOtherHostTlsTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    [Trait("Spec", "RFC 6120 §4.9.3.19")]
    public async Task ConnectAsync_SeeOtherHost_RedirectedTlsStillValidatesTheJidDomain()
    {
        using var certificate = DirectTlsAlpnTests.SelfSigned("example.com");
        using var first = new TcpListener(IPAddress.Loopback, 0);
        using var second = new TcpListener(IPAddress.Loopback, 0);
        first.Start();
        second.Start();
        var secondPort = ((IPEndPoint)second.LocalEndpoint).Port;
        var options = new XmppClientOptions
        {
            Jid = Jid.Parse("user@example.com"), Password = "secret", Host = "127.0.0.1", Port = ((IPEndPoint)first.LocalEndpoint).Port,
            TlsMode = TlsMode.DirectTls, TrustedCertificates = [certificate], AllowPrivateAddresses = true, ConnectTimeout = TimeSpan.FromSeconds(10),
        };
        var serverOptions = new SslServerAuthenticationOptions { ServerCertificate = certificate };

        var connecting = XmppClient.ConnectAsync(options, cancellationToken: Token);
        using (var accepted = await first.AcceptTcpClientAsync(Token))
        await using (var tls = new SslStream(accepted.GetStream()))
        {
            await tls.AuthenticateAsServerAsync(serverOptions, Token);
            await tls.WriteAsync(Encoding.UTF8.GetBytes(
                "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' from='example.com' id='s1' version='1.0'>" +
                $"<stream:error><see-other-host xmlns='urn:ietf:params:xml:ns:xmpp-streams'>localhost:{secondPort}</see-other-host></stream:error></stream:stream>"), Token);
            await tls.FlushAsync(Token);
        }

        using var patience = CancellationTokenSource.CreateLinkedTokenSource(Token);
        patience.CancelAfter(TimeSpan.FromSeconds(10));
        string? serverName;
        string received;
        using (var accepted = await second.AcceptTcpClientAsync(patience.Token))
        await using (var tls = new SslStream(accepted.GetStream()))
        {
            await tls.AuthenticateAsServerAsync(serverOptions, patience.Token);
            serverName = tls.TargetHostName;
            var buffer = new byte[4096];
            var read = await tls.ReadAsync(buffer, patience.Token);
            received = Encoding.UTF8.GetString(buffer, 0, read);
        }

        await Assert.ThrowsAnyAsync<XmppException>(() => connecting);

        // SNI and the certificate check use the JID's domain, not the redirect's 'localhost': the certificate for
        // example.com was accepted (the client went on to open its stream), and one for the redirect's name would not be.
        Assert.Equal("example.com", serverName);
        Assert.Contains("to='example.com'", received, StringComparison.Ordinal);
    }
}
