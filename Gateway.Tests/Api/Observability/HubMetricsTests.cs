using System.Diagnostics.Metrics;
using Gateway.Api.Hubs;
using Gateway.Api.Telemetry;
using Gateway.Tests.Api.Hubs;
using Gateway.Tests.Integration.Prosody;
using Gateway.Tests.Support;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Gateway.Tests.Api.Observability;

/// <summary>The hub's observable instruments (meter Gateway.Api) follow connections and subscriptions when collected.</summary>
[Trait("Tier", "Api")]
public sealed class HubMetricsTests(ProsodyFixture prosody) : HubEndToEndTest(prosody)
{
    [Fact]
    public async Task HubConnectionAndSubscription_CountedWhenCollected()
    {
        var (session, _) = await CreateSessionWithAccountAsync("hubmetrics");
        var factory = App.Services.GetRequiredService<IMeterFactory>();
        using var connections = new MetricCollector<int>(factory, GatewayApiMetrics.MeterName, "gateway.api.hub.connections");
        using var subscriptions = new MetricCollector<int>(factory, GatewayApiMetrics.MeterName, "gateway.api.hub.subscriptions");

        var (connection, _) = await ConnectAsync();
        await connection.InvokeAsync<SubscriptionDto>("Subscribe", session.Id, Token);

        Assert.Equal((1, 1), (Observe(connections), Observe(subscriptions)));

        await connection.InvokeAsync("Unsubscribe", session.Id, Token);
        Assert.Equal(0, Observe(subscriptions));
        await connection.StopAsync(Token);
        await Eventually.WaitUntilAsync(() => Observe(connections) == 0);
    }

    private static int Observe(MetricCollector<int> collector)
    {
        collector.RecordObservableInstruments();
        return collector.LastMeasurement?.Value ?? -1;
    }
}
