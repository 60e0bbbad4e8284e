using Gateway.Api.Telemetry;

namespace Gateway.Tests.Api.Observability;

/// <summary>Gateway:Telemetry is checked at start-up, each failure naming its setting.</summary>
public sealed class TelemetryOptionsValidatorTests
{
    private static readonly GatewayTelemetryOptionsValidator Validator = new();

    [Fact]
    public void Validate_Defaults_Succeed() => Assert.True(Validator.Validate(null, new GatewayTelemetryOptions()).Succeeded);

    [Fact]
    public void Validate_PrometheusWithTokenHashAndOtlpEndpoint_Succeed()
    {
        var options = new GatewayTelemetryOptions
        {
            Prometheus = { Enabled = true, ScrapeTokenSha256 = [GatewayApiFactory.Sha256Hex("t")] },
            Otlp = { Endpoint = "http://collector:4318", Protocol = "http/protobuf" },
        };

        Assert.True(Validator.Validate(null, options).Succeeded);
    }

    [Theory]
    [InlineData("abc", "Gateway:Telemetry:Prometheus:ScrapeTokenSha256:0")]
    [InlineData("zz00000000000000000000000000000000000000000000000000000000000000", "Gateway:Telemetry:Prometheus:ScrapeTokenSha256:0")]
    public void Validate_MalformedTokenHash_FailsNamingIt(string hash, string setting)
    {
        var result = Validator.Validate(null, new GatewayTelemetryOptions { Prometheus = { Enabled = true, ScrapeTokenSha256 = [hash] } });

        Assert.Contains(result.Failures!, f => f.StartsWith(setting, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("collector:4317", "grpc", "Gateway:Telemetry:Otlp:Endpoint")]
    [InlineData("ftp://collector", "grpc", "Gateway:Telemetry:Otlp:Endpoint")]
    [InlineData("http://collector:4317", "http/json", "Gateway:Telemetry:Otlp:Protocol")]
    public void Validate_BadOtlpSettings_FailNamingThem(string endpoint, string protocol, string setting)
    {
        var result = Validator.Validate(null, new GatewayTelemetryOptions { Otlp = { Endpoint = endpoint, Protocol = protocol } });

        Assert.Contains(result.Failures!, f => f.StartsWith(setting, StringComparison.Ordinal));
    }
}
