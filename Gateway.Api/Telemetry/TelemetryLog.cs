namespace Gateway.Api.Telemetry;

/// <summary>
/// Log events of metrics and traces: 62xx (event ids are a contract). Never logged: a scrape token or its hash, an OTLP
/// endpoint's path, query or credentials (only its scheme, host and port).
/// </summary>
internal static partial class TelemetryLog
{
    [LoggerMessage(EventId = 6200, Level = LogLevel.Information, Message = "Telemetry: Prometheus scrape endpoint {Prometheus}; OTLP export {Otlp}")]
    public static partial void Configured(ILogger logger, string prometheus, string otlp);

    [LoggerMessage(EventId = 6201, Level = LogLevel.Debug, Message = "Scrape of /metrics refused: {Reason}")]
    public static partial void ScrapeRefused(ILogger logger, string reason);
}
