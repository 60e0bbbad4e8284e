using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using Gateway.Api.Configuration;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Gateway.Api.Auth;

/// <summary>
/// Maps an API key to its <see cref="ApiKeyIdentity"/> by comparing SHA-256 hashes in constant time. Keys are never
/// stored. Follows the configuration: when it reloads (an edited appsettings file, a mounted secret), the tenants and
/// keys are read and validated again; a removed or changed key is refused from then on and the
/// <see cref="IApiKeyRevocationListener"/>s close what it opened. An invalid new configuration is logged and the last
/// valid keys stay in force, so a typo never locks every caller out.
/// </summary>
internal sealed class ApiKeyStore : IDisposable
{
    /// <summary>Longer keys are refused unhashed; real keys are far shorter.</summary>
    public const int MaxKeyLength = 512;

    private readonly IOptionsFactory<GatewayOptions> _factory;
    private readonly IEnumerable<IApiKeyRevocationListener> _listeners;
    private readonly ILogger<ApiKeyStore> _logger;
    private readonly IDisposable? _reloadRegistration;
    private readonly Lock _reloadLock = new();
    private volatile Snapshot _snapshot;

    public ApiKeyStore(
        IOptions<GatewayOptions> options,
        IOptionsFactory<GatewayOptions> factory,
        IConfiguration configuration,
        IEnumerable<IApiKeyRevocationListener> listeners,
        ILogger<ApiKeyStore> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(configuration);
        _factory = factory;
        _listeners = listeners;
        _logger = logger;
        _snapshot = Snapshot.From(options.Value);

        // Not IOptionsMonitor.OnChange: the monitor validates inside its own change callback, and an invalid reload
        // would throw there and leave it without a value. The factory builds (binds, validates) a fresh instance each
        // time, uncached, so a bad file is caught here and the keys in force stay.
        _reloadRegistration = ChangeToken.OnChange(configuration.GetReloadToken, Reload);
    }

    /// <summary>The key's identity, or null for an unknown key.</summary>
    public ApiKeyIdentity? Find(string apiKey)
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
        ApiKeyIdentity? found = null;
        foreach (var (candidate, identity) in _snapshot.Entries)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, candidate))
            {
                found = identity;
            }
        }

        return found;
    }

    /// <summary>The tenant owning the key, or null.</summary>
    public string? FindTenant(string apiKey) => Find(apiKey)?.Tenant;

    /// <summary>Whether the key is still configured exactly so (tenant and scopes): what a ticket or a connection it issued relies on.</summary>
    public bool IsCurrent(ApiKeyIdentity identity) =>
        _snapshot.ById.TryGetValue(identity.KeyId, out var current) && current == identity;

    public void Dispose() => _reloadRegistration?.Dispose();

    private void Reload()
    {
        GatewayOptions options;
        try
        {
            options = _factory.Create(Options.DefaultName);
        }
        catch (OptionsValidationException ex)
        {
            // The validator's messages name settings and never echo a value.
            AuthLog.KeysReloadRefused(_logger, string.Join(" ", ex.Failures));
            return;
        }

        HashSet<string> revoked;
        Snapshot next;
        lock (_reloadLock)
        {
            var previous = _snapshot;
            next = Snapshot.From(options);
            revoked = [.. previous.ById.Where(p => !next.ById.TryGetValue(p.Key, out var now) || now != p.Value).Select(p => p.Key)];
            _snapshot = next;
        }

        AuthLog.KeysReloaded(_logger, options.Tenants.Count, next.ById.Count, revoked.Count);
        if (revoked.Count > 0)
        {
            foreach (var listener in _listeners)
            {
                listener.OnKeysRevoked(revoked);
            }
        }
    }

    private sealed record Snapshot((byte[] Hash, ApiKeyIdentity Identity)[] Entries, FrozenDictionary<string, ApiKeyIdentity> ById)
    {
        public static Snapshot From(GatewayOptions options)
        {
            var entries = new List<(byte[], ApiKeyIdentity)>();
            foreach (var tenant in options.Tenants)
            {
                entries.AddRange(tenant.ApiKeySha256.Select(h => Entry(h, tenant.Name, ApiScopes.All)));
                entries.AddRange(tenant.ApiKeys.Select(k => Entry(k.Sha256, tenant.Name, ParseScopes(k.Scopes))));
            }

            return new Snapshot([.. entries], entries.ToFrozenDictionary(e => e.Item2.KeyId, e => e.Item2, StringComparer.Ordinal));
        }

        private static (byte[], ApiKeyIdentity) Entry(string hashHex, string tenant, ApiScopes scopes) =>
            (Convert.FromHexString(hashHex), new ApiKeyIdentity(hashHex.ToLowerInvariant(), tenant, scopes));

        private static ApiScopes ParseScopes(IEnumerable<string> names) =>
            names.Aggregate(ApiScopes.None, (all, name) => ApiScopeNames.TryParse(name, out var scope) ? all | scope : all);
    }
}
