using System.Diagnostics.Metrics;
using Gateway.Api.Webhooks;
using Gateway.Tests.Api.Hubs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using static Gateway.Tests.Api.Webhooks.WebhookTestKit;

namespace Gateway.Tests.Api.Webhooks;

/// <summary>The webhook counters on the "Gateway.Api" meter move with real deliveries.</summary>
[Trait("Tier", "Api")]
public sealed class WebhookMetricsTests
{
    [Fact]
    public async Task Deliveries_CountedAsSucceededFailedAndDeadLettered_WithDurations()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = (r, _) => Task.FromResult(r.EventId == 1 ? 500 : 200);
        var pool = new FakeEventPool();
        await using var app = StartGateway(pool, maxAttempts: 2);
        using var client = app.CreateAlphaClient();
        var meterFactory = app.Services.GetRequiredService<IMeterFactory>();
        using var succeeded = new MetricCollector<long>(meterFactory, WebhookMetrics.MeterName, "gateway.webhook.deliveries.succeeded");
        using var failed = new MetricCollector<long>(meterFactory, WebhookMetrics.MeterName, "gateway.webhook.deliveries.failed");
        using var dead = new MetricCollector<long>(meterFactory, WebhookMetrics.MeterName, "gateway.webhook.deliveries.dead_lettered");
        using var duration = new MetricCollector<double>(meterFactory, WebhookMetrics.MeterName, "gateway.webhook.delivery.duration");
        var webhook = await CreateWebhookAsync(client, receiver.Url());

        pool.Publish(Message("s1", 1, "fails"));
        pool.Publish(Message("s1", 2, "works"));
        await WaitForDeliveryAsync(client, webhook.Id, 2, "delivered");

        Assert.Equal(1, succeeded.GetMeasurementSnapshot().EvaluateAsCounter());
        Assert.Equal(2, failed.GetMeasurementSnapshot().EvaluateAsCounter());
        Assert.Equal(1, dead.GetMeasurementSnapshot().EvaluateAsCounter());
        Assert.Equal(3, duration.GetMeasurementSnapshot().Count);
        Assert.All(succeeded.GetMeasurementSnapshot(), m => Assert.Equal(GatewayApiFactory.AlphaTenant, m.Tags["tenant"]));
    }
}
