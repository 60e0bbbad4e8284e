namespace Gateway.Api.Auth;

/// <summary>Names of the API key scheme, shared by REST and the SignalR hub.</summary>
public static class ApiKeyDefaults
{
    /// <summary>The authentication scheme name.</summary>
    public const string Scheme = "ApiKey";

    /// <summary>The header that carries the key on every request.</summary>
    public const string HeaderName = "X-Api-Key";

    /// <summary>
    /// The query parameter that may carry the key on <see cref="HubPath"/> only: browsers cannot set headers on
    /// WebSocket and Server-Sent Events requests, so SignalR clients send it as <c>access_token</c>.
    /// </summary>
    public const string QueryParameter = "access_token";

    /// <summary>The path (and sub-paths) where <see cref="QueryParameter"/> is accepted.</summary>
    public const string HubPath = "/hubs/xmpp";

    /// <summary>The claim holding the caller's tenant name.</summary>
    public const string TenantClaim = "gateway:tenant";

    /// <summary>The claim holding the key's id (the hex SHA-256 of the key), so what it opened can be closed when it is revoked.</summary>
    public const string KeyIdClaim = "gateway:key";

    /// <summary>The claim holding the id of the hub ticket the connection was opened with, if any.</summary>
    public const string TicketClaim = "gateway:ticket";
}
