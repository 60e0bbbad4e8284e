namespace Gateway.Api.Telemetry;

/// <summary>
/// Metrics and traces, section <c>Gateway:Telemetry</c>: a Prometheus scrape endpoint (off by default; on, it needs a
/// bearer token) and an OTLP exporter (on when an endpoint is configured). Validated at start-up by
/// <see cref="GatewayTelemetryOptionsValidator"/>; see docs/observability.md.
/// </summary>
public sealed class GatewayTelemetryOptions
{
    public const string Section = "Gateway:Telemetry";

    /// <summary>The <c>service.name</c> resource attribute of everything exported. Default <c>xmpp-http-gateway</c>.</summary>
    public string ServiceName { get; set; } = "xmpp-http-gateway";

    /// <summary>The scrape endpoint <c>GET /metrics</c>.</summary>
    public GatewayPrometheusOptions Prometheus { get; set; } = new();

    /// <summary>The OTLP exporter (metrics and traces).</summary>
    public GatewayOtlpOptions Otlp { get; set; } = new();
}
