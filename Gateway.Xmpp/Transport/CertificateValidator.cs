using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Gateway.Xmpp.Transport;

/// <summary>
/// RFC 6120 §13.7.2 / RFC 6125: the server certificate must chain to a trusted root and name the JID's
/// domain. Beyond the system store, an operator may explicitly add trust anchors or pin thumbprints;
/// nothing is ever accepted silently.
/// </summary>
internal sealed class CertificateValidator
{
    private readonly X509Certificate2Collection? _trustedCertificates;
    private readonly HashSet<string> _pins;

    public CertificateValidator(X509Certificate2Collection? trustedCertificates, IEnumerable<string>? pinnedSha256)
    {
        _trustedCertificates = trustedCertificates is { Count: > 0 } ? trustedCertificates : null;
        _pins = new HashSet<string>((pinnedSha256 ?? []).Select(XmppClientOptions.NormalizeThumbprint), StringComparer.Ordinal);
    }

    /// <summary>Why the last certificate was refused, without naming it: for the exception message.</summary>
    public string? LastFailure { get; private set; }

    /// <summary>The same, with the certificate's subject and SHA-256 fingerprint: for the logs only.</summary>
    public string? LastFailureDetail { get; private set; }

    public bool Validate(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            LastFailure = LastFailureDetail = "the server presented no certificate";
            return false;
        }

        using var serverCertificate = new X509Certificate2(certificate);
        if (_pins.Count > 0 && _pins.Contains(Sha256Thumbprint(serverCertificate)))
        {
            return true;
        }

        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            LastFailure = "the certificate does not name the server's domain";
            LastFailureDetail = $"the certificate (subject '{serverCertificate.Subject}', SHA-256 {Sha256Thumbprint(serverCertificate)}) does not name the server's domain";
            return false;
        }

        if (errors == SslPolicyErrors.RemoteCertificateChainErrors && _trustedCertificates is not null)
        {
            if (ChainsToTrustedAnchor(serverCertificate, chain))
            {
                return true;
            }
        }

        LastFailure = $"the certificate is not trusted ({errors})";
        LastFailureDetail = $"the certificate (subject '{serverCertificate.Subject}', SHA-256 {Sha256Thumbprint(serverCertificate)}) is not trusted: {errors}";
        return false;
    }

    internal static string Sha256Thumbprint(X509Certificate2 certificate) =>
        Convert.ToHexString(SHA256.HashData(certificate.RawData));

    private bool ChainsToTrustedAnchor(X509Certificate2 certificate, X509Chain? presentedChain)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_trustedCertificates!);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presentedChain is not null)
        {
            foreach (var element in presentedChain.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        return chain.Build(certificate);
    }
}
