using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Gateway.Api.Persistence;

/// <summary>Loads the certificate that encrypts the Data Protection key ring (<see cref="GatewayDataProtectionOptions.CertificatePath"/>).</summary>
internal static class KeyRingCertificate
{
    /// <summary>
    /// The certificate, or null with <paramref name="problem"/> naming the setting (never the password).
    /// Data Protection encrypts keys with the certificate's RSA public key (XML Encryption) and needs its private key
    /// to decrypt them.
    /// </summary>
    public static X509Certificate2? TryLoad(GatewayDataProtectionOptions options, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string Setting = GatewayDataProtectionOptions.Section + ":CertificatePath";
        problem = null;
        var path = options.CertificatePath;
        if (string.IsNullOrWhiteSpace(path))
        {
            return null;
        }

        if (!Path.IsPathFullyQualified(path))
        {
            problem = $"{Setting} '{path}' must be an absolute path to a PKCS#12 (.pfx) file.";
            return null;
        }

        if (!File.Exists(path))
        {
            problem = $"{Setting} '{path}' does not exist.";
            return null;
        }

        X509Certificate2 certificate;
        try
        {
            // EphemeralKeySet: the private key stays in memory, never written to a key store on disk.
            certificate = X509CertificateLoader.LoadPkcs12FromFile(path, options.CertificatePassword, X509KeyStorageFlags.EphemeralKeySet);
        }
        catch (CryptographicException ex)
        {
            problem = $"{Setting} '{path}' cannot be loaded as PKCS#12 with {GatewayDataProtectionOptions.Section}:CertificatePassword ({ex.GetType().Name}).";
            return null;
        }

        using var privateKey = certificate.GetRSAPrivateKey();
        if (privateKey is null)
        {
            certificate.Dispose();
            problem = $"{Setting} '{path}' must hold a certificate with its RSA private key.";
            return null;
        }

        return certificate;
    }
}
