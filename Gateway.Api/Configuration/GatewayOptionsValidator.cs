using Gateway.Api.Contracts;
using Gateway.Xmpp;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Configuration;

/// <summary>
/// Checks <see cref="GatewayOptions"/> at start-up (<c>ValidateOnStart</c>), so a bad setting stops the gateway
/// with a message naming it instead of failing the first request.
/// </summary>
internal sealed class GatewayOptionsValidator : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        ValidateTenants(options, failures);
        ValidatePool(options, failures);
        ValidateAccounts(options, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateTenants(GatewayOptions options, List<string> failures)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var hashes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.Tenants.Count; i++)
        {
            var tenant = options.Tenants[i];
            var key = $"Gateway:Tenants:{i}";
            if (!InputRules.IsValidTenantName(tenant.Name))
            {
                failures.Add($"{key}:Name {InputRules.TenantNameRule}.");
            }
            else if (!names.Add(tenant.Name))
            {
                failures.Add($"{key}:Name '{tenant.Name}' is configured twice; tenant names must be unique.");
            }

            if (tenant.ApiKeySha256.Count == 0 && tenant.ApiKeys.Count == 0)
            {
                failures.Add($"{key}:ApiKeySha256 must list at least one SHA-256 hash of an API key (or ApiKeys one key with its scopes).");
            }

            for (var k = 0; k < tenant.ApiKeySha256.Count; k++)
            {
                ValidateKeyHash(tenant.ApiKeySha256[k], tenant.Name, $"{key}:ApiKeySha256:{k}", hashes, failures);
            }

            for (var k = 0; k < tenant.ApiKeys.Count; k++)
            {
                var apiKey = tenant.ApiKeys[k];
                var setting = $"{key}:ApiKeys:{k}";
                ValidateKeyHash(apiKey.Sha256, tenant.Name, $"{setting}:Sha256", hashes, failures);

                // Explicit keys say what they may do: an empty list is a mistake, not "everything" (that is ApiKeySha256).
                if (apiKey.Scopes.Count == 0)
                {
                    failures.Add($"{setting}:Scopes must list at least one scope: read, send or admin.");
                }

                for (var s = 0; s < apiKey.Scopes.Count; s++)
                {
                    if (!Auth.ApiScopeNames.TryParse(apiKey.Scopes[s], out _))
                    {
                        failures.Add($"{setting}:Scopes:{s} {Auth.ApiScopeNames.Rule}.");
                    }
                }
            }
        }
    }

    private static void ValidateKeyHash(string? hash, string tenant, string setting, Dictionary<string, string> hashes, List<string> failures)
    {
        if (!InputRules.IsSha256Hex(hash))
        {
            // Never echo the value: it may be a key pasted in clear by mistake.
            failures.Add($"{setting} must be 64 hex digits: the SHA-256 hash of the API key (printf %s \"$KEY\" | sha256sum), never the key itself.");
        }
        else if (!hashes.TryAdd(hash, tenant))
        {
            failures.Add($"{setting} is configured twice (also a key of tenant '{hashes[hash]}'); a key belongs to exactly one tenant and has one set of scopes.");
        }
    }

    private static void ValidatePool(GatewayOptions options, List<string> failures)
    {
        try
        {
            // Its messages already name the setting (Gateway:Pool:…).
            options.Pool.Validate();
        }
        catch (ArgumentException ex)
        {
            failures.Add(ex.Message.Split(" (Parameter", 2)[0]);
        }

        // Fair share: with several tenants, none may take every session of the pool and lock the others out. The pool
        // refuses a tenant's create past its share with 429 session-limit-reached naming the setting.
        if (options.Tenants.Count > 1 && options.Pool.MaxSessionsPerTenant >= options.Pool.MaxSessions)
        {
            failures.Add($"Gateway:Pool:MaxSessionsPerTenant ({options.Pool.MaxSessionsPerTenant}) must be less than Gateway:Pool:MaxSessions " +
                $"({options.Pool.MaxSessions}) when {options.Tenants.Count} tenants share the pool, so that one tenant cannot take every session " +
                $"(e.g. {Math.Max(1, options.Pool.MaxSessions / options.Tenants.Count)}, an even share).");
        }

        for (var i = 0; i < options.TrustedCertificatePaths.Count; i++)
        {
            if (!TrustedCertificates.TryLoad(options.TrustedCertificatePaths[i], out _, out var error))
            {
                failures.Add($"Gateway:Pool:TrustedCertificatePaths:{i} {error}");
            }
        }
    }

    private static void ValidateAccounts(GatewayOptions options, List<string> failures)
    {
        var tenants = options.Tenants.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var ids = new HashSet<(string, string)>();
        for (var i = 0; i < options.Accounts.Count; i++)
        {
            var account = options.Accounts[i];
            var key = $"Gateway:Accounts:{i}";
            if (!tenants.Contains(account.Tenant))
            {
                failures.Add($"{key}:Tenant '{account.Tenant}' is not one of Gateway:Tenants.");
            }

            if (!InputRules.IsValidSessionId(account.Id))
            {
                failures.Add($"{key}:Id {InputRules.SessionIdRule}.");
            }
            else if (!ids.Add((account.Tenant, account.Id)))
            {
                failures.Add($"{key}:Id '{account.Id}' is used twice within tenant '{account.Tenant}'.");
            }

            if (!Jid.TryParse(account.Jid, out var jid, out var jidError))
            {
                failures.Add($"{key}:Jid is not a valid JID: {jidError}.");
            }
            else if (jid.Local is null)
            {
                failures.Add($"{key}:Jid must name an account (local@domain).");
            }

            if (string.IsNullOrEmpty(account.Password))
            {
                failures.Add($"{key}:Password must not be empty (set it through an environment variable or a secret store, e.g. Gateway__Accounts__{i}__Password).");
            }

            if (account.Port is < 1 or > 65535)
            {
                failures.Add($"{key}:Port must be 1-65535.");
            }

            if (!InputRules.TryParseTlsMode(account.TlsMode, out var tlsMode))
            {
                failures.Add($"{key}:TlsMode {InputRules.TlsModeRule}.");
            }

            if ((account.Host is not null || account.Port is not null || tlsMode == TlsMode.Disabled) && !options.Pool.AllowHostOverride)
            {
                failures.Add($"{key} sets Host, Port or TlsMode=disabled, which needs Gateway:Pool:AllowHostOverride=true.");
            }
        }
    }
}
