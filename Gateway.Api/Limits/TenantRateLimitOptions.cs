using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Limits;

/// <summary>
/// The per-tenant request rate limit of the REST API (<c>/api</c>), section <c>Gateway:RateLimits</c>: a token bucket
/// per tenant, one token per request (a batch is one request: its size is bounded by the batch limit, and each
/// message still passes the session's outbound queue bound). Validated at start-up.
/// </summary>
public sealed class TenantRateLimitOptions
{
    public const string Section = "Gateway:RateLimits";

    /// <summary>Off: no request rate limit (the session and queue limits still apply).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Burst: requests a tenant may make at once before it has to wait for tokens.</summary>
    [Range(1, 1_000_000)]
    public int TokenLimit { get; set; } = 1_000;

    /// <summary>Tokens added every <see cref="ReplenishmentPeriod"/>: the sustained rate.</summary>
    [Range(1, 1_000_000)]
    public int TokensPerPeriod { get; set; } = 500;

    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan ReplenishmentPeriod { get; set; } = TimeSpan.FromSeconds(1);
}

[OptionsValidator]
internal sealed partial class TenantRateLimitOptionsValidator : IValidateOptions<TenantRateLimitOptions>;
