using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
using Gateway.Tests.Fakes;
using Gateway.Xmpp;

namespace Gateway.Tests.Negotiation;

/// <summary>
/// Which SCRAM mechanism and GS2 header the client picks over TLS, against a scripted server with a certificate of its
/// own (the test Prosody 0.12 offers only tls-unique, which TLS 1.3 leaves undefined, so it never offers -PLUS here).
/// </summary>
[Trait("Tier", "Scripted")]
public sealed partial class ChannelBindingNegotiationTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("SCRAM-SHA-1-PLUS SCRAM-SHA-1", "tls-server-end-point", "SCRAM-SHA-1-PLUS", "p=tls-server-end-point,,")]
    [InlineData("SCRAM-SHA-1-PLUS SCRAM-SHA-1", "tls-unique tls-exporter", "SCRAM-SHA-1", "n,,")] // types we cannot compute
    [InlineData("SCRAM-SHA-1-PLUS SCRAM-SHA-1", "", "SCRAM-SHA-1", "n,,")] // no XEP-0440: the type is unknown
    [InlineData("SCRAM-SHA-1", "", "SCRAM-SHA-1", "y,,")] // RFC 5802 §6: we could bind, the server cannot
    [Trait("Spec", "RFC 5802 §6")]
    [Trait("Spec", "XEP-0440")]
    public async Task ConnectAsync_OverTls_ChoosesMechanismAndChannelBindingFlag(string mechanisms, string bindingTypes, string expectedMechanism, string expectedGs2Header)
    {
        using var certificate = CreateServerCertificate();
        await using var server = new ScriptedXmppServer();
        var options = new XmppClientOptions
        {
            Jid = Jid.Parse("user@example.com"),
            Password = "secret",
            Host = "127.0.0.1",
            Port = server.Port,
            PinnedCertificateSha256 = [Convert.ToHexString(SHA256.HashData(certificate.RawData))],
            ConnectTimeout = TimeSpan.FromSeconds(10),
        };
        var connecting = XmppClient.ConnectAsync(options, cancellationToken: Token);

        await server.AcceptAsync(Token);
        await server.ExpectNextAsync("<stream:stream", Token);
        await server.SendAsync(ScriptedXmppServer.ServerHeader + "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>", Token);
        await server.ExpectNextAsync("<starttls", Token);
        await server.ExpectNextAsync("/>", Token);
        await server.SendAsync("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", Token);
        await server.StartTlsAsync(certificate, Token);
        await server.ExpectNextAsync("<stream:stream", Token);
        var offered = string.Concat(mechanisms.Split(' ').Select(m => $"<mechanism>{m}</mechanism>"));
        var advertised = bindingTypes.Length == 0 ? "" : "<sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'>"
            + string.Concat(bindingTypes.Split(' ').Select(t => $"<channel-binding type='{t}'/>")) + "</sasl-channel-binding>";
        await server.SendAsync(ScriptedXmppServer.ServerHeader + $"<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{offered}</mechanisms>{advertised}</stream:features>", Token);
        var auth = await server.ExpectNextAsync("</auth>", Token);
        await server.SendAsync("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>", Token);
        await Assert.ThrowsAsync<SaslFailedException>(() => connecting);

        var match = Auth().Match(auth);
        Assert.True(match.Success, auth);
        Assert.Equal(expectedMechanism, match.Groups[1].Value);
        Assert.StartsWith(expectedGs2Header + "n=user,r=", Encoding.ASCII.GetString(Convert.FromBase64String(match.Groups[2].Value)), StringComparison.Ordinal);
    }

    private static X509Certificate2 CreateServerCertificate()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=example.com", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        // Through PKCS#12, so the private key is usable by the TLS stack on every platform.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
    }

    [GeneratedRegex("""<auth[^>]*mechanism=["']([^"']+)["'][^>]*>([^<]*)</auth>""")]
    private static partial Regex Auth();
}
