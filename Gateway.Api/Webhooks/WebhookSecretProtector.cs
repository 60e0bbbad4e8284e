using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.DataProtection;

namespace Gateway.Api.Webhooks;

/// <summary>
/// Seals a webhook's signing secret for the store with Data Protection (like <see cref="Persistence.SessionSpecProtector"/>):
/// encrypted and authenticated, bound to the tenant and webhook id, so a value copied onto another row does not open there.
/// </summary>
internal sealed class WebhookSecretProtector(IDataProtectionProvider dataProtection)
{
    public const string Purpose = "Gateway.WebhookSecret.v1";

    private readonly IDataProtectionProvider _dataProtection = dataProtection;

    public string Protect(string tenant, string webhookId, string secret)
    {
        var clear = Encoding.UTF8.GetBytes(secret);
        try
        {
            return Convert.ToBase64String(ProtectorFor(tenant, webhookId).Protect(clear));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(clear);
        }
    }

    /// <exception cref="CryptographicException">Another key ring, another row, or tampered with.</exception>
    /// <exception cref="FormatException">Not base64.</exception>
    public string Unprotect(string tenant, string webhookId, string stored)
    {
        var clear = ProtectorFor(tenant, webhookId).Unprotect(Convert.FromBase64String(stored));
        try
        {
            return Encoding.UTF8.GetString(clear);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(clear);
        }
    }

    // The tenant and id are sub-purposes: Data Protection derives a key per purpose chain, so the binding is cryptographic.
    private IDataProtector ProtectorFor(string tenant, string webhookId) => _dataProtection.CreateProtector(Purpose, tenant, webhookId);
}
