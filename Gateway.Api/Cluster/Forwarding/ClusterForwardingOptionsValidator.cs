using Microsoft.Extensions.Options;

namespace Gateway.Api.Cluster.Forwarding;

/// <summary>Checks <see cref="ClusterForwardingOptions"/> at start-up, with messages that name the setting.</summary>
internal sealed class ClusterForwardingOptionsValidator : IValidateOptions<ClusterForwardingOptions>
{
    public ValidateOptionsResult Validate(string? name, ClusterForwardingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        Check(failures, nameof(options.ConnectTimeout), options.ConnectTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(1));
        Check(failures, nameof(options.ResponseTimeout), options.ResponseTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(30));
        Check(failures, nameof(options.LookupTimeout), options.LookupTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(1));
        Check(failures, nameof(options.RetryAfter), options.RetryAfter, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));
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
