using Microsoft.Extensions.Options;

namespace Gateway.Api.Telemetry;

/// <summary>Checks <see cref="GatewayTelemetryOptions"/> at start-up, with messages that name the setting.</summary>
internal sealed class GatewayTelemetryOptionsValidator : IValidateOptions<GatewayTelemetryOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayTelemetryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string Section = GatewayTelemetryOptions.Section;
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ServiceName))
        {
            failures.Add($"{Section}:ServiceName must not be empty.");
        }

        var prometheus = options.Prometheus;
        if (prometheus.Enabled && prometheus.ScrapeTokenSha256.Count == 0)
        {
            failures.Add($"{Section}:Prometheus:Enabled needs {Section}:Prometheus:ScrapeTokenSha256:0, the SHA-256 (hex) of the token the scraper sends as 'Authorization: Bearer <token>': the metrics cover every tenant.");
        }

        for (var i = 0; i < prometheus.ScrapeTokenSha256.Count; i++)
        {
            if (!ScrapeTokens.IsSha256Hex(prometheus.ScrapeTokenSha256[i]))
            {
                failures.Add($"{Section}:Prometheus:ScrapeTokenSha256:{i} must be 64 hex digits (the SHA-256 of the token, e.g. `printf %s \"$TOKEN\" | sha256sum`).");
            }
        }

        var otlp = options.Otlp;
        if (otlp.Endpoint is { } endpoint && (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            failures.Add($"{Section}:Otlp:Endpoint must be an absolute http or https URL, e.g. http://collector:4317 (currently '{endpoint}').");
        }

        if (otlp.Protocol is not ("grpc" or "http/protobuf"))
        {
            failures.Add($"{Section}:Otlp:Protocol must be grpc or http/protobuf (currently '{otlp.Protocol}').");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
