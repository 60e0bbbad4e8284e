using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Gateway.Xmpp.Negotiation.Sasl;

/// <summary>
/// The <c>tls-server-end-point</c> channel binding (RFC 5929 §4): a hash of the server's certificate. Computed from the
/// certificate itself rather than taken from SslStream's <c>TransportContext.GetChannelBinding(Endpoint)</c>, whose
/// buffer is a platform structure (a SEC_CHANNEL_BINDINGS header and a "tls-server-end-point:" prefix). .NET has no
/// RFC 5705 keying-material exporter, so <c>tls-exporter</c> (RFC 9266) cannot be offered; <c>tls-unique</c> is
/// undefined for TLS 1.3.
/// </summary>
internal static class TlsServerEndPoint
{
    /// <summary>The channel binding type name (IANA "Channel-Binding Types").</summary>
    public const string Name = "tls-server-end-point";

    /// <summary>
    /// The binding data for <paramref name="certificate"/>, or false when RFC 5929 leaves it undefined (a signature
    /// algorithm with no single hash, such as Ed25519 or RSASSA-PSS, or one we do not know).
    /// </summary>
    public static bool TryCompute(X509Certificate2? certificate, out byte[] data)
    {
        data = [];
        if (certificate is null)
        {
            return false;
        }

        // RFC 5929 §4.1: the certificate's signature hash, except that MD5 and SHA-1 are replaced by SHA-256.
        HashAlgorithmName? hash = certificate.SignatureAlgorithm.Value switch
        {
            "1.2.840.113549.1.1.4" or "1.2.840.113549.1.1.5" or "1.2.840.10045.4.1" or "1.2.840.10040.4.3"
                or "1.2.840.113549.1.1.11" or "1.2.840.10045.4.3.2" or "2.16.840.1.101.3.4.3.2" => HashAlgorithmName.SHA256,
            "1.2.840.113549.1.1.12" or "1.2.840.10045.4.3.3" or "2.16.840.1.101.3.4.3.3" => HashAlgorithmName.SHA384,
            "1.2.840.113549.1.1.13" or "1.2.840.10045.4.3.4" or "2.16.840.1.101.3.4.3.4" => HashAlgorithmName.SHA512,
            _ => null,
        };
        if (hash is not { } algorithm)
        {
            return false;
        }

        data = CryptographicOperations.HashData(algorithm, certificate.RawData);
        return true;
    }
}
