namespace Gateway.Api.Telemetry;

/// <summary>
/// The console log's shape, section <c>Gateway:Logging</c>. Validated at start-up by
/// <see cref="GatewayLoggingOptionsValidator"/>. The built-in <c>Logging:Console:FormatterName</c> works too; this
/// switch also turns log scopes on, so every line carries the tenant and session it concerns.
/// </summary>
public sealed class GatewayLoggingOptions
{
    public const string Section = "Gateway:Logging";

    public const string Simple = "simple";

    public const string Json = "json";

    /// <summary>
    /// <c>simple</c> (default: the console formatter configured under <c>Logging:Console</c>) or <c>json</c> (one JSON
    /// object per line, UTC timestamps, scopes as fields: <c>Tenant</c>, <c>SessionId</c>, <c>TraceId</c>).
    /// </summary>
    public string Format { get; set; } = Simple;
}
