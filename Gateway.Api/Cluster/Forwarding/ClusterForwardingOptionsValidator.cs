using Microsoft.Extensions.Options;

namespace Gateway.Api.Cluster.Forwarding;

/// <summary>Checks <see cref="ClusterForwardingOptions"/> at start-up, with messages that name the setting.</summary>
internal sealed class ClusterForwardingOptionsValidator : IValidateOptions<ClusterForwardingOptions>
{
    private const int MaxOwnerCacheSize = 1_000_000;

    public ValidateOptionsResult Validate(string? name, ClusterForwardingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        Check(failures, nameof(options.ConnectTimeout), options.ConnectTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(1));
        Check(failures, nameof(options.ResponseTimeout), options.ResponseTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(30));
        Check(failures, nameof(options.LookupTimeout), options.LookupTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(1));
        Check(failures, nameof(options.RetryAfter), options.RetryAfter, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));
        Check(failures, nameof(options.OwnerCacheTtl), options.OwnerCacheTtl, TimeSpan.Zero, TimeSpan.FromMinutes(5));
        if (options.OwnerCacheSize is < 0 or > MaxOwnerCacheSize)
        {
            failures.Add($"{ClusterForwardingOptions.Section}:{nameof(options.OwnerCacheSize)} must be between 0 and {MaxOwnerCacheSize} (currently {options.OwnerCacheSize}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Check(List<string> failures, string setting, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            failures.Add($"{ClusterForwardingOptions.Section}:{setting} must be between {min:c} and {max:c} (currently {value:c}).");
        }
    }
}
