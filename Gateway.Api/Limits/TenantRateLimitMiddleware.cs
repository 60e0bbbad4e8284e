using Microsoft.Extensions.Options;

namespace Gateway.Api.Limits;

/// <summary>Charges each call a token of its tenant's bucket (<see cref="TenantTokenBuckets"/>), or answers 429.</summary>
internal sealed class TenantRateLimitMiddleware(RequestDelegate next, TenantTokenBuckets buckets, IOptions<TenantRateLimitOptions> options)
{
    private readonly TenantRateLimitOptions _settings = options.Value;

    public Task InvokeAsync(HttpContext context)
    {
        if (!TenantRateLimiting.IsCharged(context, _settings, out var tenant) || buckets.TryTake(tenant, out var retryAfter))
        {
            return next(context);
        }

        return TenantRateLimiting.RejectAsync(context, _settings, tenant, retryAfter);
    }
}
