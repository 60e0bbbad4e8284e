using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Gateway.Api.Webhooks;

/// <summary>
/// Webhook counters on the gateway's meter (<see cref="MeterName"/>): attempts that succeeded or failed, deliveries
/// dead-lettered, and how long attempts take. Tagged with the tenant (few per gateway); never the URL.
/// </summary>
public sealed class WebhookMetrics
{
    public const string MeterName = "Gateway.Api";

    private readonly Counter<long> _succeeded;
    private readonly Counter<long> _failed;
    private readonly Counter<long> _deadLettered;
    private readonly Histogram<double> _duration;

    public WebhookMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        _succeeded = meter.CreateCounter<long>("gateway.webhook.deliveries.succeeded", "{delivery}", "Webhook deliveries the receiver accepted (2xx).");
        _failed = meter.CreateCounter<long>("gateway.webhook.deliveries.failed", "{attempt}", "Webhook delivery attempts that failed (no answer, timeout, or a status other than 2xx).");
        _deadLettered = meter.CreateCounter<long>("gateway.webhook.deliveries.dead_lettered", "{delivery}", "Webhook deliveries given up after the last attempt.");
        _duration = meter.CreateHistogram<double>("gateway.webhook.delivery.duration", "s", "Duration of one webhook delivery attempt.");
    }

    internal void Succeeded(string tenant, TimeSpan duration)
    {
        var tags = new TagList { { "tenant", tenant }, { "outcome", "success" } };
        _succeeded.Add(1, new KeyValuePair<string, object?>("tenant", tenant));
        _duration.Record(duration.TotalSeconds, tags);
    }

    internal void Failed(string tenant, TimeSpan duration)
    {
        var tags = new TagList { { "tenant", tenant }, { "outcome", "failure" } };
        _failed.Add(1, new KeyValuePair<string, object?>("tenant", tenant));
        _duration.Record(duration.TotalSeconds, tags);
    }

    internal void DeadLettered(string tenant) => _deadLettered.Add(1, new KeyValuePair<string, object?>("tenant", tenant));
}
