using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Cluster.Forwarding;

/// <summary>Registers and places the forwarding of session calls to their node (clustered modes only).</summary>
internal static class ClusterForwarding
{
    /// <summary>Called by <see cref="GatewayCluster.AddGatewayCluster"/> when the gateway co-hosts a silo.</summary>
    public static IServiceCollection AddClusterForwarding(this IServiceCollection services)
    {
        services.AddOptions<ClusterForwardingOptions>().BindConfiguration(ClusterForwardingOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ClusterForwardingOptions>, ClusterForwardingOptionsValidator>());
        services.AddSingleton<ForwardingMarker>();
        services.AddSingleton<SessionForwarder>();
        services.AddSingleton<SessionOwnerLocator>();
        services.AddSingleton(sp => new SessionOwnerCache(sp.GetRequiredService<IOptions<ClusterForwardingOptions>>(), sp.GetService<TimeProvider>() ?? TimeProvider.System));
        services.AddSingleton<ClusterSessionList>();
        return services;
    }
}

/// <summary>The forwarding middleware in the request pipeline.</summary>
public static class ClusterForwardingApplicationExtensions
{
    /// <summary>
    /// After authentication and authorization, before the tenant rate limiter: checks a request's forwarding marker, so
    /// that a call another node forwarded (and charged) is not charged again here (<see cref="ForwardingMarkerMiddleware"/>).
    /// Does nothing unless the gateway co-hosts a silo.
    /// </summary>
    public static IApplicationBuilder UseGatewayForwardingMarker(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.ApplicationServices.GetService<ForwardingMarker>() is null ? app : app.UseMiddleware<ForwardingMarkerMiddleware>();
    }

    /// <summary>
    /// After authentication, authorization and rate limiting: forwards a session's calls to the node that runs it. Does
    /// nothing unless the gateway co-hosts a silo (<c>Gateway:Cluster:Mode</c> other than None).
    /// </summary>
    public static IApplicationBuilder UseGatewayClusterForwarding(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.ApplicationServices.GetService<SessionForwarder>() is null ? app : app.UseMiddleware<SessionForwardingMiddleware>();
    }
}
