using System.Diagnostics.CodeAnalysis;
using Gateway.Api.Auth;
using Gateway.Api.Errors;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Gateway.Api.Limits;

/// <summary>
/// Per-tenant request rate limits on the REST API: one token bucket per tenant (<see cref="TenantTokenBuckets"/>,
/// <see cref="TenantRateLimitOptions"/>), 429 <c>rate-limited</c> problem details with <c>Retry-After</c> when empty.
/// Runs after authorization, so requests without a valid key never spend a tenant's tokens. A request another node of
/// the cluster forwarded here (<see cref="ChargedUpstream"/>, set only for a verified forwarding marker) was charged by
/// that node and is not charged again: a tenant's calls cost one token each wherever they land.
/// </summary>
public static class TenantRateLimiting
{
    public static IServiceCollection AddTenantRateLimits(this IServiceCollection services)
    {
        services.AddOptionsWithValidateOnStart<TenantRateLimitOptions, TenantRateLimitOptionsValidator>().BindConfiguration(TenantRateLimitOptions.Section);
        services.AddSingleton(sp => new TenantTokenBuckets(sp.GetRequiredService<IOptions<TenantRateLimitOptions>>(), sp.GetService<TimeProvider>()));
        return services;
    }

    public static IApplicationBuilder UseTenantRateLimits(this IApplicationBuilder app) => app.UseMiddleware<TenantRateLimitMiddleware>();

    /// <summary>Whether the request costs its tenant (<paramref name="tenant"/>) a token on this node.</summary>
    internal static bool IsCharged(HttpContext context, TenantRateLimitOptions settings, [NotNullWhen(true)] out string? tenant)
    {
        tenant = null;
        return settings.Enabled && context.Request.Path.StartsWithSegments("/api") && !ChargedUpstream.IsMarked(context) &&
            context.User.TryGetTenant(out tenant);
    }

    /// <summary>The 429 <c>rate-limited</c> problem with <c>Retry-After</c>.</summary>
    internal static async Task RejectAsync(HttpContext http, TenantRateLimitOptions settings, string tenant, TimeSpan retryAfter)
    {
        AuthLog.RateLimited(http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(TenantRateLimiting)), tenant);
        var mapping = new ProblemMapping(StatusCodes.Status429TooManyRequests, ProblemCodes.RateLimited,
            $"This tenant made more requests than its rate limit allows ({settings.TokenLimit} at once, {settings.TokensPerPeriod} more every " +
            $"{settings.ReplenishmentPeriod.TotalSeconds:0.###} s; Gateway:RateLimits). Retry after the Retry-After delay.")
        {
            RetryAfter = retryAfter,
        };
        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        http.Response.Headers[HeaderNames.RetryAfter] = XmppExceptionHandler.RetryAfterSeconds(retryAfter);
        await GatewayProblems.WriteAsync(http, GatewayProblems.FromMapping(http, mapping));
    }
}
