namespace Gateway.Api.Cluster.Forwarding;

/// <summary>
/// Section <c>Gateway:Cluster:Forwarding</c>: how a clustered node forwards a session's API calls to the node that runs
/// it (<see cref="SessionForwardingMiddleware"/>). Validated at start-up by <see cref="ClusterForwardingOptionsValidator"/>.
/// </summary>
public sealed class ClusterForwardingOptions
{
    public const string Section = "Gateway:Cluster:Forwarding";

    /// <summary>How long to wait for a TCP connection to the owner node before asking the grain again. Default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long to wait for the owner's response headers. Longer than the slowest call the owner answers itself (an
    /// IQ, <c>wait=server</c>, an upload). Default 2 minutes.
    /// </summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long asking a session's grain where it runs may take. Default 5 s.</summary>
    public TimeSpan LookupTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The <c>Retry-After</c> of a 503 while a session is moving or its node cannot be reached. Default 2 s.</summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a node keeps what a session's grain said about where the session runs, so that a burst of calls asks
    /// once (<see cref="SessionOwnerCache"/>). Dropped sooner when a call to that node fails because the session is not
    /// there. Zero: every forwarded call asks the grain. Default 5 s.
    /// </summary>
    public TimeSpan OwnerCacheTtl { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How many sessions' owners a node keeps at most (<see cref="SessionOwnerCache"/>). Zero: none. Default 10,000.</summary>
    public int OwnerCacheSize { get; set; } = 10_000;
}
