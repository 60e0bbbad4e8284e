using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Gateway.Api.Webhooks;

/// <summary>
/// The resilience pipeline of one webhook endpoint (Polly): retries outermost, exponential backoff with jitter,
/// bounded by <see cref="WebhookOptions.MaxAttempts"/> counting attempts made before a restart too; inside it the
/// endpoint's own circuit breaker (one pipeline per webhook, so one failing endpoint opens only its own circuit);
/// innermost a timeout per attempt. The result is the receiver's status code; 2xx is success, anything else (3xx
/// included: redirects are not followed) a failure.
/// </summary>
internal static class WebhookPipeline
{
    public static readonly ResiliencePropertyKey<WebhookAttempt> AttemptKey = new("gateway.webhook.attempt");

    /// <param name="options">Settings.</param>
    /// <param name="onRetry">Records a failed attempt that will be retried after the delay.</param>
    /// <param name="onCircuitOpened">Reports the circuit opening.</param>
    /// <param name="onCircuitClosed">Reports the circuit closing.</param>
    /// <param name="timeProvider">The clock of delays and the breaker.</param>
    public static ResiliencePipeline<int> Build(
        WebhookOptions options,
        Func<WebhookAttempt, Outcome<int>, TimeSpan, ValueTask> onRetry,
        Action<TimeSpan> onCircuitOpened,
        Action onCircuitClosed,
        TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        var maxAttempts = options.MaxAttempts;
        return new ResiliencePipelineBuilder<int> { TimeProvider = timeProvider }
            .AddRetry(new RetryStrategyOptions<int>
            {
                // The bound is enforced by ShouldHandle (it knows the attempts of earlier runs); this is only a ceiling.
                MaxRetryAttempts = Math.Max(1, maxAttempts),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = options.RetryMaxDelay,
                ShouldHandle = args => ValueTask.FromResult(
                    IsFailure(args.Outcome, args.Context)
                    && args.Context.Properties.TryGetValue(AttemptKey, out var attempt)
                    && attempt.Attempts + 1 < maxAttempts),
                OnRetry = args => args.Context.Properties.TryGetValue(AttemptKey, out var attempt)
                    ? onRetry(attempt, args.Outcome, args.RetryDelay)
                    : ValueTask.CompletedTask,
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<int>
            {
                FailureRatio = options.CircuitFailureRatio,
                MinimumThroughput = options.CircuitMinimumThroughput,
                SamplingDuration = options.CircuitSamplingDuration,
                BreakDuration = options.CircuitBreakDuration,
                ShouldHandle = args => ValueTask.FromResult(IsFailure(args.Outcome, args.Context)),
                OnOpened = args =>
                {
                    onCircuitOpened(args.BreakDuration);
                    return ValueTask.CompletedTask;
                },
                OnClosed = _ =>
                {
                    onCircuitClosed();
                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(options.AttemptTimeout)
            .Build();
    }

    /// <summary>
    /// Whether an outcome is the receiver's failure. An open circuit is not (it was not tried), nor is the gateway
    /// stopping (the caller's token): those end the run without counting an attempt.
    /// </summary>
    public static bool IsFailure(Outcome<int> outcome, ResilienceContext context) => outcome.Exception switch
    {
        null => outcome.Result is < 200 or > 299,
        BrokenCircuitException => false,
        TimeoutRejectedException => true,
        OperationCanceledException when context.CancellationToken.IsCancellationRequested => false,
        _ => true,
    };

    /// <summary>A short description of a failed outcome for the delivery log: never a response body.</summary>
    public static string Describe(Outcome<int> outcome, TimeSpan attemptTimeout) => outcome.Exception switch
    {
        null => $"HTTP {outcome.Result}",
        TimeoutRejectedException => $"no response within {attemptTimeout.TotalSeconds:0.###} s ({WebhookOptions.Section}:AttemptTimeout)",
        HttpRequestException { InnerException: WebhookConnectRefusedException refused } => refused.Message,
        WebhookConnectRefusedException refused => refused.Message,
        HttpRequestException http => $"{http.HttpRequestError}: {http.Message}",
        var other => other.GetType().Name,
    };
}
