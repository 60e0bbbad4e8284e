using System.Security.Cryptography;
using System.Text;
using Gateway.Api.Configuration;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Auth;

/// <summary>Maps an API key to its tenant by comparing SHA-256 hashes in constant time. Keys are never stored.</summary>
internal sealed class ApiKeyStore
{
    /// <summary>Longer keys are refused unhashed; real keys are far shorter.</summary>
    public const int MaxKeyLength = 512;

    private readonly (byte[] Hash, string Tenant)[] _entries;

    public ApiKeyStore(IOptions<GatewayOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _entries = [.. options.Value.Tenants.SelectMany(t => t.ApiKeySha256.Select(h => (Convert.FromHexString(h), t.Name)))];
    }

    /// <summary>The tenant owning the key, or null.</summary>
    public string? FindTenant(string apiKey)
    {
        if (apiKey.Length is 0 or > MaxKeyLength)
        {
            return null;
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        var bytes = Encoding.UTF8.GetBytes(apiKey);
        SHA256.HashData(bytes, hash);
        CryptographicOperations.ZeroMemory(bytes);

        // Every entry is compared, match or not, so the time taken tells nothing about which hash matched.
        string? tenant = null;
        foreach (var (candidate, owner) in _entries)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, candidate))
            {
                tenant = owner;
            }
        }

        return tenant;
    }
}
