using Gateway.Api.Webhooks;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Cluster.Events;

/// <summary>
/// Every <see cref="GatewayClusterOptions.PlacementInterval"/>, brings this node's webhook workers in line with the
/// shared store: a webhook created, changed or deleted through another node's API reaches this node, which delivers
/// it for the sessions it runs, within an interval (the same bound as a session's placement).
/// </summary>
internal sealed class WebhookSyncService(
    WebhookDispatcher webhooks,
    IOptions<GatewayClusterOptions> options,
    TimeProvider time,
    ILogger<WebhookSyncService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.PlacementInterval;
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await webhooks.SyncAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    ClusterEventsLog.WebhookSyncFailed(logger, interval, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
