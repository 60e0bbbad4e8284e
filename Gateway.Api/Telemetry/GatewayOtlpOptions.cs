namespace Gateway.Api.Telemetry;

/// <summary>The OTLP exporter, <c>Gateway:Telemetry:Otlp</c>.</summary>
public sealed class GatewayOtlpOptions
{
    /// <summary>
    /// Where metrics and traces go (e.g. <c>http://collector:4317</c>). Unset: the standard
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> variable; unset too, nothing is exported over OTLP.
    /// </summary>
    public string? Endpoint { get; set; }

    /// <summary><c>grpc</c> (default, port 4317) or <c>http/protobuf</c> (port 4318).</summary>
    public string Protocol { get; set; } = "grpc";
}
