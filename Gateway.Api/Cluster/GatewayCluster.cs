using System.Net;
using System.Net.Sockets;
using Gateway.Api.Cluster.Events;
using Gateway.Api.Cluster.Forwarding;
using Gateway.Xmpp.Pool;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using ClusterOptions = Orleans.Configuration.ClusterOptions;

namespace Gateway.Api.Cluster;

/// <summary>
/// Co-hosts an Orleans silo with the gateway when <c>Gateway:Cluster:Mode</c> asks for one (<see cref="GatewayClusterOptions"/>):
/// <c>builder.AddGatewayCluster()</c> after the pool is registered. With the default mode <see cref="ClusterMode.None"/> it
/// registers only the validated options, and the gateway runs as it always did.
/// </summary>
public static class GatewayCluster
{
    public static WebApplicationBuilder AddGatewayCluster(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<GatewayClusterOptions>().BindConfiguration(GatewayClusterOptions.Section).ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GatewayClusterOptions>, GatewayClusterOptionsValidator>());

        // The silo is configured now, while the host is built: read the section directly. A value that does not bind or
        // validate leaves the silo out here, and the start-up validation above stops the host with the reason.
        var options = ReadOptions(builder.Configuration);
        if (options is null || options.Mode == ClusterMode.None ||
            new GatewayClusterOptionsValidator().Validate(null, options).Failed)
        {
            return builder;
        }

        var address = options.AdvertisedAddress is null ? IPAddress.Loopback : IPAddress.Parse(options.AdvertisedAddress);
        var siloPort = options.SiloPort != 0 ? options.SiloPort : FreePort(address);
        var gatewayPort = options.GatewayPort != 0 ? options.GatewayPort : FreePort(address, except: siloPort);
        builder.Services.AddSingleton(new SiloEndpoints(options.Mode, address.ToString(), siloPort, gatewayPort));

        builder.Host.UseOrleans(silo =>
        {
            // The default directory is eventually consistent: while a node joins or leaves, two nodes may each activate
            // a grain (seen in the two-node test: both logged the account in, and the server kicked one out with
            // 'conflict'). The strongly consistent directory (range locks, versioned views) does not let that happen,
            // and one XMPP login per session is the point of the cluster. Still marked experimental in Orleans 10.
#pragma warning disable ORLEANSEXP003
            silo.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003
            silo.Configure<Orleans.Configuration.ClusterMembershipOptions>(options.Membership.ApplyTo);
            silo.Configure<ClusterOptions>(cluster =>
            {
                cluster.ClusterId = options.ClusterId;
                cluster.ServiceId = options.ServiceId;
            });
            if (options.Mode == ClusterMode.Localhost)
            {
                silo.UseLocalhostClustering(siloPort, gatewayPort, primarySiloEndpoint: null, options.ServiceId, options.ClusterId);
            }
            else
            {
                var redis = options.RedisConnectionString!;
                silo.UseRedisClustering(clustering => clustering.ConfigurationOptions = StackExchange.Redis.ConfigurationOptions.Parse(redis));
                silo.ConfigureEndpoints(address, siloPort, gatewayPort, listenOnAnyHostAddress: false);
            }
        });

        // Which node runs a stored session is the grains' decision now, not every pool's at start.
        builder.Services.PostConfigure<Gateway.Api.Configuration.GatewayOptions>(gateway => gateway.Pool = gateway.Pool with { RestoreStoredSessions = false });
        builder.Services.AddSingleton<ClusteredSessionPool>();
        builder.Services.AddSingleton<ISessionPool>(sp => sp.GetRequiredService<ClusteredSessionPool>());
        builder.Services.AddClusterForwarding();
        builder.Services.TryAddSingleton(TimeProvider.System);

        // After UseOrleans: hosted services start in order, so the silo runs before the first placement round.
        builder.Services.AddHostedService<SessionPlacementService>();
        builder.Services.AddClusterEvents();

        // After the placement service (and the event feeds), so it stops first: a graceful shutdown moves the sessions
        // before the silo leaves.
        builder.Services.AddSingleton<HostedSessionGrains>();
        builder.Services.AddHostedService<SessionDrainService>();
        return builder;
    }

    private static GatewayClusterOptions? ReadOptions(IConfiguration configuration)
    {
        try
        {
            return configuration.GetSection(GatewayClusterOptions.Section).Get<GatewayClusterOptions>() ?? new GatewayClusterOptions();
        }
        catch (InvalidOperationException)
        {
            // E.g. a Mode that is not a ClusterMode: binding the options at start-up reports it.
            return null;
        }
    }

    /// <summary>A port free on <paramref name="address"/> now (the OS picks it), so hosts in one process never collide.</summary>
    private static int FreePort(IPAddress address, int except = 0)
    {
        while (true)
        {
            using var listener = new TcpListener(address, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            if (port != except)
            {
                return port;
            }
        }
    }
}

/// <summary>Where this node's silo listens, as chosen at start-up (ports picked when configured as 0).</summary>
internal sealed record SiloEndpoints(ClusterMode Mode, string Address, int SiloPort, int GatewayPort);
