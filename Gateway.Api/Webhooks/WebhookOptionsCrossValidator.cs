using Microsoft.Extensions.Options;

namespace Gateway.Api.Webhooks;

/// <summary>Rules of <see cref="WebhookOptions"/> that relate two settings.</summary>
internal sealed class WebhookOptionsCrossValidator : IValidateOptions<WebhookOptions>
{
    public ValidateOptionsResult Validate(string? name, WebhookOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.RetryMaxDelay < options.RetryBaseDelay)
        {
            failures.Add($"{WebhookOptions.Section}:RetryMaxDelay ({options.RetryMaxDelay}) must not be shorter than {WebhookOptions.Section}:RetryBaseDelay ({options.RetryBaseDelay}).");
        }

        if (options.ConnectTimeout > options.AttemptTimeout)
        {
            failures.Add($"{WebhookOptions.Section}:ConnectTimeout ({options.ConnectTimeout}) must not be longer than {WebhookOptions.Section}:AttemptTimeout ({options.AttemptTimeout}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
