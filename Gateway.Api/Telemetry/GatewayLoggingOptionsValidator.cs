using Microsoft.Extensions.Options;

namespace Gateway.Api.Telemetry;

/// <summary>Checks <see cref="GatewayLoggingOptions"/> at start-up, with messages that name the setting.</summary>
internal sealed class GatewayLoggingOptionsValidator : IValidateOptions<GatewayLoggingOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayLoggingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Format is GatewayLoggingOptions.Simple or GatewayLoggingOptions.Json
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"{GatewayLoggingOptions.Section}:Format must be simple or json (currently '{options.Format}').");
    }
}
