namespace Gateway.Api.Cluster;

/// <summary>How the gateway runs beside others (<see cref="GatewayClusterOptions.Mode"/>).</summary>
public enum ClusterMode
{
    /// <summary>One gateway, no silo: the pool restores and runs every stored session itself (the default).</summary>
    None,

    /// <summary>An Orleans silo in the process, clustered with itself only (localhost clustering); no external service.</summary>
    Localhost,

    /// <summary>An Orleans silo in the process, clustered through Redis with every other node of the same cluster id.</summary>
    Redis,
}

/// <summary>
/// Section <c>Gateway:Cluster</c>: whether the gateway hosts an Orleans silo, and how it finds the other nodes.
/// Validated at start-up by <see cref="GatewayClusterOptionsValidator"/>. See docs/scale-out.md.
/// </summary>
public sealed class GatewayClusterOptions
{
    public const string Section = "Gateway:Cluster";

    /// <summary><see cref="ClusterMode.None"/> (default), <see cref="ClusterMode.Localhost"/> or <see cref="ClusterMode.Redis"/>.</summary>
    public ClusterMode Mode { get; set; } = ClusterMode.None;

    /// <summary>Nodes with the same cluster id form one cluster (Orleans <c>ClusterOptions.ClusterId</c>).</summary>
    public string ClusterId { get; set; } = "xmpp-http-gateway";

    /// <summary>Names the service across deployments (Orleans <c>ClusterOptions.ServiceId</c>).</summary>
    public string ServiceId { get; set; } = "xmpp-http-gateway";

    /// <summary>Port of the silo-to-silo endpoint; 0 (default) picks a free port at start-up.</summary>
    public int SiloPort { get; set; }

    /// <summary>Port of the silo's client gateway (Orleans clients outside the process); 0 (default) picks a free port.</summary>
    public int GatewayPort { get; set; }

    /// <summary>
    /// The IP address other nodes reach this silo at, and that it listens on; loopback (127.0.0.1) when unset, which
    /// only serves nodes on the same machine.
    /// </summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>
    /// This node's HTTP base address as other nodes reach it (e.g. <c>http://10.1.0.5:8080/</c>), reported as the
    /// owner's address of the sessions it hosts; unset, the owner is known by its silo address only.
    /// </summary>
    public string? AdvertisedHttpUrl { get; set; }

    /// <summary>
    /// StackExchange.Redis configuration string of the membership store, required with <see cref="ClusterMode.Redis"/>
    /// (e.g. <c>redis.internal:6379,password=…</c>). A secret when it holds a password: never logged.
    /// </summary>
    public string? RedisConnectionString { get; set; }

    /// <summary>
    /// How often each node asks the grain of every stored session to be active (which hosts a session whose node is
    /// gone on a live one). Default 30 s; between 1 s and 1 hour.
    /// </summary>
    public TimeSpan PlacementInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Failure detection timing (<c>Gateway:Cluster:Membership</c>); Orleans' defaults.</summary>
    public ClusterMembershipSettings Membership { get; set; } = new();
}
