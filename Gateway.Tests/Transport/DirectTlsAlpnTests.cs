using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Gateway.Xmpp;

namespace Gateway.Tests.Transport;

/// <summary>A loopback TLS listener (an SslStream server in the test) records what the client offered in its handshake.</summary>
public sealed class DirectTlsAlpnTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    [Trait("Spec", "XEP-0368 §3")]
    public async Task ConnectAsync_DirectTls_OffersAlpnXmppClient()
    {
        using var certificate = SelfSigned("example.com");
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var options = new XmppClientOptions
        {
            Jid = Jid.Parse("user@example.com"), Password = "secret", Host = "127.0.0.1", Port = port, TlsMode = TlsMode.DirectTls,
            PinnedCertificateSha256 = [Convert.ToHexString(SHA256.HashData(certificate.RawData))], ConnectTimeout = TimeSpan.FromSeconds(10),
        };

        var connecting = XmppClient.ConnectAsync(options, cancellationToken: Token);
        SslApplicationProtocol offered;
        string? serverName;
        using (var accepted = await listener.AcceptTcpClientAsync(Token))
        await using (var tls = new SslStream(accepted.GetStream()))
        {
            await tls.AuthenticateAsServerAsync(
                new SslServerAuthenticationOptions
                {
                    ServerCertificate = certificate,
                    ApplicationProtocols = [new SslApplicationProtocol("xmpp-client"), SslApplicationProtocol.Http11],
                },
                Token);
            offered = tls.NegotiatedApplicationProtocol;
            serverName = tls.TargetHostName;
        }

        await Assert.ThrowsAnyAsync<XmppException>(() => connecting);
        Assert.Equal("xmpp-client", offered.ToString());
        Assert.Equal("example.com", serverName);
    }

    internal static X509Certificate2 SelfSigned(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(name);
        request.CertificateExtensions.Add(san.Build());
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), null);
    }
}
