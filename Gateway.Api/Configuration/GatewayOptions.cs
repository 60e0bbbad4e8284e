using Gateway.Xmpp.Pool;

namespace Gateway.Api.Configuration;

/// <summary>
/// The gateway's settings, section <c>Gateway</c>: who may call (tenants and their hashed API keys), which
/// service accounts start with the gateway, and the connection pool. Validated at start-up by
/// <see cref="GatewayOptionsValidator"/>, with messages that name the setting.
/// </summary>
public sealed class GatewayOptions
{
    public const string Section = "Gateway";

    /// <summary>Callers of the API. None by default: a production gateway answers 401 until tenants are configured.</summary>
    public List<TenantOptions> Tenants { get; set; } = [];

    /// <summary>Sessions the gateway opens at start-up (bots, service accounts), owned by a tenant.</summary>
    public List<AccountOptions> Accounts { get; set; } = [];

    /// <summary>The connection pool, <c>Gateway:Pool</c>; see <see cref="SessionPoolOptions"/>.</summary>
    public SessionPoolOptions Pool { get; set; } = new();

    /// <summary>
    /// <c>Gateway:Pool:TrustedCertificatePaths</c>: PEM or DER certificate files loaded into
    /// <see cref="SessionPoolOptions.TrustedCertificates"/> (which cannot be bound from configuration itself).
    /// Filled from that key by <see cref="GatewayConfiguration"/>.
    /// </summary>
    public List<string> TrustedCertificatePaths { get; set; } = [];
}

/// <summary>One caller of the API. Its sessions are invisible to every other tenant.</summary>
public sealed class TenantOptions
{
    /// <summary>Letters, digits, '.', '_' and '-'; appears in logs.</summary>
    public string Name { get; set; } = "";

    /// <summary>
    /// SHA-256 hashes (64 hex digits) of the tenant's API keys, never the keys themselves. Several keys allow
    /// rotation. Compute one with <c>printf %s "$KEY" | sha256sum</c>. These keys have every scope (read, send, admin);
    /// give a key fewer in <see cref="ApiKeys"/>.
    /// </summary>
    public List<string> ApiKeySha256 { get; set; } = [];

    /// <summary>Keys with explicit scopes, in addition to <see cref="ApiKeySha256"/>.</summary>
    public List<ApiKeyOptions> ApiKeys { get; set; } = [];
}

/// <summary>An API key with what it may do.</summary>
public sealed class ApiKeyOptions
{
    /// <summary>The SHA-256 hash (64 hex digits) of the key, never the key.</summary>
    public string Sha256 { get; set; } = "";

    /// <summary>One or more of <c>read</c> (GET, hub subscriptions), <c>send</c> (messages, presence, IQs, stanzas, roster changes), <c>admin</c> (open and close sessions).</summary>
    public List<string> Scopes { get; set; } = [];
}

/// <summary>A service account session started with the gateway.</summary>
public sealed class AccountOptions
{
    /// <summary>The owning tenant (one of <see cref="GatewayOptions.Tenants"/>).</summary>
    public string Tenant { get; set; } = "";

    /// <summary>The session id, unique within the tenant.</summary>
    public string Id { get; set; } = "";

    /// <summary>The account, <c>local@domain</c>.</summary>
    public string Jid { get; set; } = "";

    /// <summary>Keep it out of appsettings files: use environment variables or a secret store.</summary>
    public string Password { get; set; } = "";

    public string? Resource { get; set; }

    /// <summary>Connect here instead of resolving DNS SRV; needs <c>Gateway:Pool:AllowHostOverride</c>.</summary>
    public string? Host { get; set; }

    public int? Port { get; set; }

    /// <summary><c>starttls</c> (default), <c>direct-tls</c> or <c>disabled</c> (plaintext, needs <c>Gateway:Pool:AllowHostOverride</c>).</summary>
    public string? TlsMode { get; set; }

    /// <summary>Describes the account without its password.</summary>
    public override string ToString() => $"Account {Tenant}/{Id}";
}
