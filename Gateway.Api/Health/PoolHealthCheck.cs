using System.Text.Json;
using Gateway.Api.Contracts;
using Gateway.Xmpp.Pool;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Gateway.Api.Health;

/// <summary>Ready when the session pool runs. Reports session counts per state: no JIDs, no tenants, no secrets.</summary>
internal sealed class PoolHealthCheck(ISessionPool pool) : IHealthCheck
{
    public const string Name = "session-pool";
    public const string ReadyTag = "ready";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var health = pool.GetHealth();
        var sessions = Enum.GetValues<SessionState>().ToDictionary(
            SessionMapper.StateName,
            state => (object)health.SessionsByState.GetValueOrDefault(state));
        var data = new Dictionary<string, object> { ["running"] = health.Running, ["sessions"] = sessions };
        return Task.FromResult(health.Running
            ? HealthCheckResult.Healthy("The session pool is running.", data)
            : HealthCheckResult.Unhealthy("The session pool is not running.", data: data));
    }
}

/// <summary>Registers and maps <c>/health</c> (liveness) and <c>/health/ready</c> (readiness).</summary>
public static class GatewayHealth
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static IServiceCollection AddGatewayHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<PoolHealthCheck>(PoolHealthCheck.Name, tags: [PoolHealthCheck.ReadyTag]);
        return services;
    }

    /// <summary>
    /// <c>/health</c>: 200 "Healthy" while the process serves requests (runs no check). <c>/health/ready</c>: 200 when
    /// the pool runs, else 503; "Healthy" or "Unhealthy" to anonymous callers, JSON per check to a caller with an API
    /// key. Both anonymous: orchestrators probe without credentials.
    /// </summary>
    public static IEndpointRouteBuilder MapGatewayHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks("/health", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        endpoints.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(PoolHealthCheck.ReadyTag),
            ResponseWriter = WriteReadinessAsync,
        }).AllowAnonymous();
        return endpoints;
    }

    /// <summary><c>{"status":"Healthy","checks":{"session-pool":{"status":…,"description":…,"data":{"running":true,"sessions":{…}}}}}</c></summary>
    internal static Task WriteReadinessAsync(HttpContext httpContext, HealthReport report)
    {
        httpContext.Response.Headers.CacheControl = "no-store";

        // Session counts and failure types tell an outsider how busy the gateway is and what breaks: only for tenants.
        if (httpContext.User.Identity?.IsAuthenticated != true)
        {
            httpContext.Response.ContentType = "text/plain; charset=utf-8";
            return httpContext.Response.WriteAsync(report.Status.ToString(), httpContext.RequestAborted);
        }

        httpContext.Response.ContentType = "application/json; charset=utf-8";
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(
                e => e.Key,
                e => new
                {
                    status = e.Value.Status.ToString(),
                    description = e.Value.Description,

                    // Only the exception's type: its message may say more than a probe needs to know.
                    error = e.Value.Exception?.GetType().Name,
                    data = e.Value.Data,
                }),
        };
        return httpContext.Response.WriteAsync(JsonSerializer.Serialize(body, Json), httpContext.RequestAborted);
    }
}
