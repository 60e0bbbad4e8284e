namespace Gateway.Api.Auth;

/// <summary>
/// Who a configured API key is: its id (the lowercase hex SHA-256 of the key, never the key; not logged), its tenant and
/// its scopes. Two identities with the same id but another tenant or other scopes are a changed key.
/// </summary>
public sealed record ApiKeyIdentity(string KeyId, string Tenant, ApiScopes Scopes);

/// <summary>Told when keys disappear or change with a configuration reload, so what they opened can be closed.</summary>
public interface IApiKeyRevocationListener
{
    /// <summary>The keys (by <see cref="ApiKeyIdentity.KeyId"/>) removed or changed; called on the reload's thread.</summary>
    void OnKeysRevoked(IReadOnlySet<string> keyIds);
}
