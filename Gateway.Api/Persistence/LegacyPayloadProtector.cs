using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.DataProtection;

namespace Gateway.Api.Persistence;

/// <summary>
/// How event payloads and outbox stanzas were encrypted before <see cref="PayloadProtector"/>: each value on its own
/// with Data Protection (<c>dp1:</c>), the tenant and session sealed inside. The store only reads this form now;
/// <see cref="Protect"/> remains to write such rows in tests and as the benchmarks' baseline.
/// </summary>
internal sealed class LegacyPayloadProtector(IDataProtectionProvider dataProtection)
{
    public const string Purpose = "Gateway.StoredPayload.v1";

    /// <summary>Marks a value protected this way. Clear values (JSON or XML) never start with it.</summary>
    public const string Marker = "dp1:";

    private readonly IDataProtector _protector = dataProtection.CreateProtector(Purpose);

    public string Protect(string tenant, string sessionId, string payload) =>
        Marker + Convert.ToBase64String(_protector.Protect(Encoding.UTF8.GetBytes(Binding(tenant, sessionId) + payload)));

    /// <summary>The clear text of a value that starts with <see cref="Marker"/>.</summary>
    /// <exception cref="FormatException">Not readable with this key ring, tampered with, or sealed for another session.</exception>
    public string Unprotect(string tenant, string sessionId, string stored)
    {
        string clear;
        try
        {
            clear = Encoding.UTF8.GetString(_protector.Unprotect(Convert.FromBase64String(stored[Marker.Length..])));
        }
        catch (CryptographicException ex)
        {
            throw new FormatException("A stored payload cannot be decrypted with this key ring.", ex);
        }

        var binding = Binding(tenant, sessionId);
        return clear.StartsWith(binding, StringComparison.Ordinal)
            ? clear[binding.Length..]
            : throw new FormatException("A stored payload belongs to another session.");
    }

    /// <summary>Length-prefixed, so no tenant or session name can imitate another pair.</summary>
    internal static string Binding(string tenant, string sessionId) =>
        string.Create(CultureInfo.InvariantCulture, $"{tenant.Length}:{tenant}{sessionId.Length}:{sessionId}|");
}
