using System.Net;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Configuration;

/// <summary>Checks <see cref="GatewayHttpOptions"/> at start-up, with messages that name the setting.</summary>
internal sealed class GatewayHttpOptionsValidator : IValidateOptions<GatewayHttpOptions>
{
    private static readonly TimeSpan MaxHstsAge = TimeSpan.FromDays(730);

    public ValidateOptionsResult Validate(string? name, GatewayHttpOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string Section = GatewayHttpOptions.Section;
        var failures = new List<string>();
        for (var i = 0; i < options.KnownProxies.Count; i++)
        {
            if (!IPAddress.TryParse(options.KnownProxies[i], out _))
            {
                failures.Add($"{Section}:KnownProxies:{i} '{options.KnownProxies[i]}' must be an IP address, e.g. 10.1.0.5.");
            }
        }

        for (var i = 0; i < options.KnownNetworks.Count; i++)
        {
            if (!IPNetwork.TryParse(options.KnownNetworks[i], out _))
            {
                failures.Add($"{Section}:KnownNetworks:{i} '{options.KnownNetworks[i]}' must be a network in CIDR notation, e.g. 10.1.0.0/16.");
            }
        }

        if (options.ForwardLimit is < 1 or > 10)
        {
            failures.Add($"{Section}:ForwardLimit must be between 1 and 10 proxies (currently {options.ForwardLimit}).");
        }

        if (options.HstsMaxAge < TimeSpan.Zero || options.HstsMaxAge > MaxHstsAge)
        {
            failures.Add($"{Section}:HstsMaxAge must be between 00:00:00 and {MaxHstsAge} (currently {options.HstsMaxAge}).");
        }

        if (options.HttpsPort is < 1 or > 65535)
        {
            failures.Add($"{Section}:HttpsPort must be a port between 1 and 65535 (currently {options.HttpsPort}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
