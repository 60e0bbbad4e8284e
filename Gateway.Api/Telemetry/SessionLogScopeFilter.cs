using Gateway.Api.Auth;
using Gateway.Xmpp.Diagnostics;

namespace Gateway.Api.Telemetry;

/// <summary>
/// Opens a log scope with <c>Tenant</c> and <c>SessionId</c> around every request that addresses a session
/// (<c>/api/v1/sessions/{id}/…</c>), so what the handler and the pool log for it says whose it is without each call
/// site repeating it. Ids only: never a JID or a key.
/// </summary>
internal sealed class SessionLogScopeFilter(ILogger<SessionLogScopeFilter> logger) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var http = context.HttpContext;
        if (http.Request.RouteValues.TryGetValue("id", out var value) && value is string sessionId && http.User.TryGetTenant(out var tenant))
        {
            using (logger.BeginScope(new SessionLogScope(tenant, sessionId)))
            {
                return await next(context);
            }
        }

        return await next(context);
    }
}
