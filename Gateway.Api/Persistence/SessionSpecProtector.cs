using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.Api.Contracts;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Microsoft.AspNetCore.DataProtection;

namespace Gateway.Api.Persistence;

/// <summary>
/// Turns a <see cref="SessionSpec"/> into an opaque string and back: the whole spec (JID, password, host, pins)
/// as JSON, encrypted and authenticated by Data Protection. The tenant and session id are sealed inside too and
/// checked on the way out, so a blob copied onto another row (another tenant) is refused, not restored there.
/// </summary>
internal sealed class SessionSpecProtector(IDataProtectionProvider dataProtection)
{
    /// <summary>Changing the stored JSON shape incompatibly means a new purpose (v2), with v1 still readable.</summary>
    public const string Purpose = "Gateway.SessionSpec.v1";

    private readonly IDataProtector _protector = dataProtection.CreateProtector(Purpose);

    public string Protect(string tenant, string sessionId, SessionSpec spec)
    {
        var stored = new StoredSpecV1(
            tenant,
            sessionId,
            spec.Id,
            spec.Jid.ToString(),
            spec.Password,
            spec.Resource,
            spec.Host,
            spec.Port,
            InputRules.TlsModeName(spec.TlsMode),
            spec.PinnedCertificateSha256.IsDefault ? [] : [.. spec.PinnedCertificateSha256],
            spec.SendInitialPresence,
            spec.Carbons,
            spec.RequestReceipts);
        var json = JsonSerializer.SerializeToUtf8Bytes(stored, PersistenceJson.Default.StoredSpecV1);
        try
        {
            return Convert.ToBase64String(_protector.Protect(json));
        }
        finally
        {
            // The string password cannot be wiped, but this copy need not linger until the next GC.
            CryptographicOperations.ZeroMemory(json);
        }
    }

    /// <exception cref="CryptographicException">Not protected with this key ring and purpose, or tampered with.</exception>
    /// <exception cref="FormatException">Not a stored spec, or one stored for another row.</exception>
    public SessionSpec Unprotect(string tenant, string sessionId, string protectedSpec)
    {
        var json = _protector.Unprotect(Convert.FromBase64String(protectedSpec));
        try
        {
            var stored = JsonSerializer.Deserialize(json, PersistenceJson.Default.StoredSpecV1) ?? throw new FormatException("Empty stored session spec.");
            if (stored.Tenant != tenant || stored.SessionId != sessionId)
            {
                throw new FormatException("The stored session spec belongs to another row.");
            }

            return new SessionSpec
            {
                Id = stored.Id,
                Jid = Jid.Parse(stored.Jid),
                Password = stored.Password,
                Resource = stored.Resource,
                Host = stored.Host,
                Port = stored.Port,
                TlsMode = ParseTlsMode(stored.TlsMode),
                PinnedCertificateSha256 = [.. stored.PinnedCertificateSha256 ?? []],
                SendInitialPresence = stored.SendInitialPresence,
                Carbons = stored.Carbons,
                RequestReceipts = stored.RequestReceipts,
            };
        }
        catch (Exception ex) when (ex is JsonException or XmppException)
        {
            throw new FormatException($"The stored session spec is not readable ({ex.GetType().Name}).", ex);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(json);
        }
    }

    private static TlsMode ParseTlsMode(string name) => name is not null && InputRules.TryParseTlsMode(name, out var mode)
        ? mode
        : throw new FormatException($"Unknown stored TLS mode '{name}'.");

    internal sealed record StoredSpecV1(
        string Tenant,
        string SessionId,
        string? Id,
        string Jid,
        string Password,
        string? Resource,
        string? Host,
        int? Port,
        string TlsMode,
        string[]? PinnedCertificateSha256,
        bool SendInitialPresence,
        bool? Carbons = null,
        bool? RequestReceipts = null);
}

[JsonSerializable(typeof(SessionSpecProtector.StoredSpecV1))]
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true)]
internal sealed partial class PersistenceJson : JsonSerializerContext;
