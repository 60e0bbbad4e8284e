using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Webhooks;

/// <summary>Settings of the webhook deliveries. Bound from <c>Gateway:Webhooks</c>; validated at start-up.</summary>
public sealed class WebhookOptions
{
    public const string Section = "Gateway:Webhooks";

    /// <summary>Accept plain <c>http://</c> URLs (development, a receiver on the same host). Off: HTTPS only.</summary>
    public bool AllowHttp { get; set; }

    /// <summary>
    /// Let deliveries reach loopback, private, link-local and other special addresses. Off: any such address a URL
    /// resolves to is refused before connecting (server-side request forgery).
    /// </summary>
    public bool AllowPrivateAddresses { get; set; }

    /// <summary>Webhooks one tenant may register.</summary>
    [Range(1, 1_000)]
    public int MaxWebhooksPerTenant { get; set; } = 20;

    /// <summary>Attempts per event (the first included); after the last failed one the delivery is dead-lettered.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 8;

    /// <summary>The delay before the first retry; each later one doubles (with jitter) up to <see cref="RetryMaxDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest delay between two attempts.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How long one attempt may take, connecting and reading the response included.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long connecting may take (within <see cref="AttemptTimeout"/>).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Bytes of a receiver's response body read (and discarded); the rest is not read.</summary>
    [Range(0, 65_536)]
    public int MaxResponseBytes { get; set; } = 4_096;

    /// <summary>Share of failed attempts, within <see cref="CircuitSamplingDuration"/>, that opens an endpoint's circuit.</summary>
    [Range(0.01, 1.0)]
    public double CircuitFailureRatio { get; set; } = 0.5;

    /// <summary>Attempts within <see cref="CircuitSamplingDuration"/> before the circuit may open at all.</summary>
    [Range(2, 10_000)]
    public int CircuitMinimumThroughput { get; set; } = 10;

    /// <summary>The window the circuit breaker counts failures in.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "01:00:00")]
    public TimeSpan CircuitSamplingDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long an open circuit refuses attempts (they are not counted against <see cref="MaxAttempts"/>).</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "01:00:00")]
    public TimeSpan CircuitBreakDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the previous secret still signs (beside the new one) after a rotation.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "7.00:00:00")]
    public TimeSpan SecretRotationGracePeriod { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Delivered entries kept per webhook in the delivery log; older ones are removed.</summary>
    [Range(10, 1_000_000)]
    public int DeliveryLogSize { get; set; } = 1_000;

    /// <summary>Sessions of one webhook delivered to at the same time (each session in order, on its own).</summary>
    [Range(1, 256)]
    public int MaxConcurrentSessionsPerWebhook { get; set; } = 4;
}

/// <summary>Validates <see cref="WebhookOptions"/> at start-up.</summary>
[OptionsValidator]
internal sealed partial class WebhookOptionsValidator : IValidateOptions<WebhookOptions>;
