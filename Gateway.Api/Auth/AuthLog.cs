namespace Gateway.Api.Auth;

/// <summary>
/// Log events of API keys, tickets and limits: 52xx of the API's 5xxx (event ids are a contract). Never logged: a key,
/// a key's hash, a ticket, an XMPP password; a target account only at Debug.
/// </summary>
internal static partial class AuthLog
{
    [LoggerMessage(EventId = 5200, Level = LogLevel.Information, Message = "API keys reloaded: {Tenants} tenants, {Keys} keys, {Revoked} removed or changed")]
    public static partial void KeysReloaded(ILogger logger, int tenants, int keys, int revoked);

    [LoggerMessage(EventId = 5201, Level = LogLevel.Warning, Message = "The reloaded configuration is invalid; the API keys in force stay until it is fixed: {Failures}")]
    public static partial void KeysReloadRefused(ILogger logger, string failures);

    [LoggerMessage(EventId = 5202, Level = LogLevel.Information, Message = "Closed hub connection {ConnectionId} of tenant {Tenant}: its API key was removed or changed")]
    public static partial void HubConnectionRevoked(ILogger logger, string connectionId, string tenant);

    [LoggerMessage(EventId = 5203, Level = LogLevel.Debug, Message = "Hub ticket issued for tenant {Tenant}, valid until {ExpiresAt:O}")]
    public static partial void TicketIssued(ILogger logger, string tenant, DateTimeOffset expiresAt);

    [LoggerMessage(EventId = 5204, Level = LogLevel.Debug, Message = "HTTP {Method} {Route} refused: the API key lacks the '{Scope}' scope")]
    public static partial void ScopeMissing(ILogger logger, string method, string route, string scope);

    [LoggerMessage(EventId = 5205, Level = LogLevel.Information, Message = "Tenant {Tenant} exceeded its request rate limit; answering 429")]
    public static partial void RateLimited(ILogger logger, string tenant);

    [LoggerMessage(EventId = 5206, Level = LogLevel.Warning, Message = "Tenant {Tenant} used up its failed-login budget ({Scope}); session creation refused for {RetryAfter}")]
    public static partial void LoginBudgetExhausted(ILogger logger, string tenant, string scope, TimeSpan retryAfter);
}
