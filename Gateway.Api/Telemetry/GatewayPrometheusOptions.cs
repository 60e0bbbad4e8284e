namespace Gateway.Api.Telemetry;

/// <summary>The Prometheus scrape endpoint, <c>Gateway:Telemetry:Prometheus</c>.</summary>
public sealed class GatewayPrometheusOptions
{
    /// <summary>The path scrapers ask; fixed, so the security headers and the docs can name it.</summary>
    public const string Path = "/metrics";

    /// <summary>
    /// Serve <c>GET /metrics</c>. Default false: the endpoint answers 404. The metrics count every tenant's sessions,
    /// so no tenant's API key opens them; a scraper sends <c>Authorization: Bearer</c> with a token of its own.
    /// </summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// SHA-256 (64 hex digits) of each scrape token accepted, like the tenants' <c>ApiKeySha256</c>: only hashes are
    /// configured, and two allow a rotation. At least one is required when <see cref="Enabled"/>.
    /// </summary>
    public List<string> ScrapeTokenSha256 { get; set; } = [];
}
