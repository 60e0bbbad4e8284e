using System.Net;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Cluster;

/// <summary>Checks <see cref="GatewayClusterOptions"/> at start-up, with messages that name the setting (never the Redis password).</summary>
internal sealed class GatewayClusterOptionsValidator : IValidateOptions<GatewayClusterOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string Section = GatewayClusterOptions.Section;
        var failures = new List<string>();
        if (!Enum.IsDefined(options.Mode))
        {
            failures.Add($"{Section}:Mode must be None, Localhost or Redis.");
        }

        if (options.Mode == ClusterMode.None)
        {
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }

        if (!IsIdentifier(options.ClusterId))
        {
            failures.Add($"{Section}:ClusterId must be 1 to 64 characters: letters, digits, '.', '_' or '-'.");
        }

        if (!IsIdentifier(options.ServiceId))
        {
            failures.Add($"{Section}:ServiceId must be 1 to 64 characters: letters, digits, '.', '_' or '-'.");
        }

        if (options.SiloPort is < 0 or > 65535)
        {
            failures.Add($"{Section}:SiloPort must be a port between 1 and 65535, or 0 for a free one (currently {options.SiloPort}).");
        }

        if (options.GatewayPort is < 0 or > 65535)
        {
            failures.Add($"{Section}:GatewayPort must be a port between 1 and 65535, or 0 for a free one (currently {options.GatewayPort}).");
        }

        if (options.SiloPort != 0 && options.SiloPort == options.GatewayPort)
        {
            failures.Add($"{Section}:SiloPort and {Section}:GatewayPort must differ (both {options.SiloPort}).");
        }

        if (options.AdvertisedAddress is not null && !IPAddress.TryParse(options.AdvertisedAddress, out _))
        {
            failures.Add($"{Section}:AdvertisedAddress '{options.AdvertisedAddress}' must be an IP address, e.g. 10.1.0.5.");
        }

        if (options.AdvertisedHttpUrl is not null &&
            !(Uri.TryCreate(options.AdvertisedHttpUrl, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps)))
        {
            failures.Add($"{Section}:AdvertisedHttpUrl must be an absolute http or https URL, e.g. http://10.1.0.5:8080/.");
        }

        if (options.PlacementInterval < TimeSpan.FromSeconds(1) || options.PlacementInterval > TimeSpan.FromHours(1))
        {
            failures.Add($"{Section}:PlacementInterval must be between 00:00:01 and 01:00:00 (currently {options.PlacementInterval}).");
        }

        ValidateMembership(options.Membership, failures);
        if (options.Mode == ClusterMode.Redis)
        {
            if (string.IsNullOrWhiteSpace(options.RedisConnectionString))
            {
                failures.Add($"{Section}:RedisConnectionString is required with {Section}:Mode Redis.");
            }
            else if (!TryParseRedis(options.RedisConnectionString))
            {
                // The string may hold a password: the message does not repeat it.
                failures.Add($"{Section}:RedisConnectionString is not a valid StackExchange.Redis configuration string.");
            }
        }
        else if (!string.IsNullOrEmpty(options.RedisConnectionString))
        {
            failures.Add($"{Section}:RedisConnectionString is only used with {Section}:Mode Redis; remove it or set the mode.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateMembership(ClusterMembershipSettings? membership, List<string> failures)
    {
        const string Section = GatewayClusterOptions.Section + ":Membership";
        if (membership is null)
        {
            failures.Add($"{Section} must be a section (or left out for Orleans' defaults).");
            return;
        }

        if (membership.ProbeTimeout < TimeSpan.FromMilliseconds(100) || membership.ProbeTimeout > TimeSpan.FromMinutes(5))
        {
            failures.Add($"{Section}:ProbeTimeout must be between 00:00:00.1 and 00:05:00 (currently {membership.ProbeTimeout}).");
        }

        if (membership.MissedProbesLimit is < 1 or > 100)
        {
            failures.Add($"{Section}:MissedProbesLimit must be between 1 and 100 (currently {membership.MissedProbesLimit}).");
        }

        if (membership.ProbedSilos is < 1 or > 100)
        {
            failures.Add($"{Section}:ProbedSilos must be between 1 and 100 (currently {membership.ProbedSilos}).");
        }

        if (membership.VotesForDeathDeclaration < 1 || membership.VotesForDeathDeclaration > Math.Max(1, membership.ProbedSilos))
        {
            // More votes than probing nodes could never be cast: a dead node would never be declared dead.
            failures.Add($"{Section}:VotesForDeathDeclaration must be between 1 and {Section}:ProbedSilos ({membership.ProbedSilos}) (currently {membership.VotesForDeathDeclaration}).");
        }

        if (membership.TableRefreshTimeout < TimeSpan.FromSeconds(1) || membership.TableRefreshTimeout > TimeSpan.FromHours(1))
        {
            failures.Add($"{Section}:TableRefreshTimeout must be between 00:00:01 and 01:00:00 (currently {membership.TableRefreshTimeout}).");
        }

        if (membership.IAmAliveTablePublishTimeout < TimeSpan.FromSeconds(1) || membership.IAmAliveTablePublishTimeout > TimeSpan.FromHours(1))
        {
            failures.Add($"{Section}:IAmAliveTablePublishTimeout must be between 00:00:01 and 01:00:00 (currently {membership.IAmAliveTablePublishTimeout}).");
        }
    }

    private static bool IsIdentifier(string? value) =>
        value is { Length: >= 1 and <= 64 } && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    private static bool TryParseRedis(string value)
    {
        try
        {
            return StackExchange.Redis.ConfigurationOptions.Parse(value).EndPoints.Count > 0;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
