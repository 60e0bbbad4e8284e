using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.DataProtection;

namespace Gateway.Api.Persistence;

/// <summary>
/// Encrypts what the store keeps of traffic (event payloads, outbox stanzas: message bodies, JIDs) with Data
/// Protection, so nothing of it is in clear text on disk. The tenant and session are sealed inside and checked
/// on the way out: a value copied onto another session's row is refused, not read there.
/// </summary>
internal sealed class PayloadProtector(IDataProtectionProvider dataProtection)
{
    public const string Purpose = "Gateway.StoredPayload.v1";

    /// <summary>Marks a protected value. Clear values (JSON or XML) never start with it: rows from before encryption still read.</summary>
    private const string Marker = "dp1:";

    private readonly IDataProtector _protector = dataProtection.CreateProtector(Purpose);

    public string Protect(string tenant, string sessionId, string payload) =>
        Marker + Convert.ToBase64String(_protector.Protect(Encoding.UTF8.GetBytes(Binding(tenant, sessionId) + payload)));

    /// <exception cref="FormatException">Not readable with this key ring, tampered with, or sealed for another session.</exception>
    public string Unprotect(string tenant, string sessionId, string stored)
    {
        if (!stored.StartsWith(Marker, StringComparison.Ordinal))
        {
            return stored;
        }

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

    /// <summary>Seals UTF-8 bytes (see <see cref="Protect(string, string, string)"/>).</summary>
    public string Protect(string tenant, string sessionId, ReadOnlySpan<byte> clear) => Protect(tenant, sessionId, Encoding.UTF8.GetString(clear));

    /// <summary>The clear bytes of a stored value, written to <paramref name="clear"/> (reset first) and returned.</summary>
    /// <exception cref="FormatException">Not readable with this key ring, tampered with, or sealed for another session.</exception>
    public ReadOnlySpan<byte> Unprotect(string tenant, string sessionId, string stored, ArrayBufferWriter<byte> clear)
    {
        ArgumentNullException.ThrowIfNull(clear);
        clear.ResetWrittenCount();
        Encoding.UTF8.GetBytes(Unprotect(tenant, sessionId, stored), clear);
        return clear.WrittenSpan;
    }

    /// <summary>Length-prefixed, so no tenant or session name can imitate another pair.</summary>
    private static string Binding(string tenant, string sessionId) =>
        string.Create(CultureInfo.InvariantCulture, $"{tenant.Length}:{tenant}{sessionId.Length}:{sessionId}|");
}
