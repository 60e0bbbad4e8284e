using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Gateway.Api.Configuration;

/// <summary>Loads the extra trust anchors of <c>Gateway:Pool:TrustedCertificatePaths</c>: PEM (one or more certificates) or DER files.</summary>
internal static class TrustedCertificates
{
    private const string PemMarker = "-----BEGIN CERTIFICATE-----";

    public static bool TryLoad(string? path, [NotNullWhen(true)] out X509Certificate2Collection? certificates, [NotNullWhen(false)] out string? error)
    {
        certificates = null;
        if (string.IsNullOrWhiteSpace(path))
        {
            error = "is empty; give the path of a PEM or DER certificate file.";
            return false;
        }

        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            error = $"('{path}') cannot be read: {ex.Message}";
            return false;
        }

        try
        {
            var collection = new X509Certificate2Collection();
            var text = Encoding.ASCII.GetString(bytes);
            if (text.Contains(PemMarker, StringComparison.Ordinal))
            {
                collection.ImportFromPem(text);
            }
            else
            {
                collection.Add(X509CertificateLoader.LoadCertificate(bytes));
            }

            if (collection.Count == 0)
            {
                error = $"('{path}') holds no certificate.";
                return false;
            }

            certificates = collection;
            error = null;
            return true;
        }
        catch (CryptographicException ex)
        {
            error = $"('{path}') is not a PEM or DER certificate: {ex.Message}";
            return false;
        }
    }

    /// <summary>All certificates of all files; null when there are no paths. Throws when a file is bad (validation ran before).</summary>
    public static X509Certificate2Collection? LoadAll(IReadOnlyList<string> paths)
    {
        if (paths.Count == 0)
        {
            return null;
        }

        var all = new X509Certificate2Collection();
        foreach (var path in paths)
        {
            if (!TryLoad(path, out var certificates, out var error))
            {
                throw new InvalidOperationException($"Gateway:Pool:TrustedCertificatePaths {error}");
            }

            all.AddRange(certificates);
        }

        return all;
    }
}
