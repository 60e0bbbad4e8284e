using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Gateway.Xmpp.Negotiation.Sasl;

namespace Gateway.Tests.Negotiation.Sasl;

[Trait("Tier", "Unit")]
public sealed class TlsServerEndPointTests
{
    [Theory]
    [InlineData("SHA256", "SHA256")]
    [InlineData("SHA384", "SHA384")]
    [InlineData("SHA512", "SHA512")]
    [Trait("Spec", "RFC 5929 §4.1")]
    public void TryCompute_RsaCertificate_HashesTheCertificateWithItsSignatureHash(string signatureHash, string bindingHash)
    {
        using var rsa = RSA.Create(2048);
        using var certificate = SelfSigned(new CertificateRequest("CN=example.com", rsa, new HashAlgorithmName(signatureHash), RSASignaturePadding.Pkcs1));

        Assert.True(TlsServerEndPoint.TryCompute(certificate, out var data));
        Assert.Equal(CryptographicOperations.HashData(new HashAlgorithmName(bindingHash), certificate.RawData), data);
    }

    [Fact]
    [Trait("Spec", "RFC 5929 §4.1")]
    public void TryCompute_EcdsaSha384Certificate_UsesSha384()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var certificate = SelfSigned(new CertificateRequest("CN=example.com", ecdsa, HashAlgorithmName.SHA384));

        Assert.True(TlsServerEndPoint.TryCompute(certificate, out var data));
        Assert.Equal(SHA384.HashData(certificate.RawData), data);
    }

    [Fact]
    [Trait("Spec", "RFC 5929 §4.1")]
    public void TryCompute_RsaPssCertificate_UndefinedSoNoBinding()
    {
        using var rsa = RSA.Create(2048);
        using var certificate = SelfSigned(new CertificateRequest("CN=example.com", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pss));

        Assert.False(TlsServerEndPoint.TryCompute(certificate, out var data));
        Assert.Empty(data);
        Assert.False(TlsServerEndPoint.TryCompute(null, out _));
    }

    private static X509Certificate2 SelfSigned(CertificateRequest request) =>
        request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
}
