using Gateway.Api.Events;

namespace Gateway.Api.Cluster.Events;

/// <summary>Wires cross-node events into a clustered node (called by <see cref="GatewayCluster.AddGatewayCluster"/>).</summary>
internal static class ClusterEventsExtensions
{
    public static IServiceCollection AddClusterEvents(this IServiceCollection services)
    {
        // Owner side: rings the nodes that follow this node's sessions, from the dispatcher's loop.
        services.AddSingleton<EventDoorbells>();
        services.AddSingleton<ISessionEventObserver>(sp => sp.GetRequiredService<EventDoorbells>());

        // Subscriber side: follows other nodes' sessions for this node's hub subscribers and event streams.
        services.AddSingleton<RemoteEventFeed>();
        services.AddSingleton<IRemoteSessionEvents>(sp => sp.GetRequiredService<RemoteEventFeed>());
        services.AddHostedService(sp => sp.GetRequiredService<RemoteEventFeed>());

        // Webhooks are delivered by the node that runs the session only.
        services.AddSingleton<Webhooks.IWebhookSessionOwnership, LocalSessionOwnership>();
        services.AddHostedService<WebhookSyncService>();
        return services;
    }
}
