namespace Gateway.Api.Cluster;

/// <summary>
/// Section <c>Gateway:Cluster:Membership</c>: how fast the nodes declare a silent node dead, which is how long a dead
/// node's sessions stay offline before another node takes them over. Each maps to Orleans'
/// <c>ClusterMembershipOptions</c> property of the same name, and defaults to Orleans' own value (about a minute from
/// the first missed probe to the declaration). Validated by <see cref="GatewayClusterOptionsValidator"/>.
/// </summary>
public sealed class ClusterMembershipSettings
{
    /// <summary>How long a liveness probe of another node may take before it counts as missed. Default 5 s.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Missed probes in a row after which a node suspects the probed one (and votes it dead). Default 3.</summary>
    public int MissedProbesLimit { get; set; } = 3;

    /// <summary>How many other nodes each node probes. Default 10.</summary>
    public int ProbedSilos { get; set; } = 10;

    /// <summary>Votes (from distinct probing nodes) that declare a node dead; at most <see cref="ProbedSilos"/>. Default 2.</summary>
    public int VotesForDeathDeclaration { get; set; } = 2;

    /// <summary>How often each node reads the membership table (in Redis). Default 60 s.</summary>
    public TimeSpan TableRefreshTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often each node writes its heartbeat to the membership table (diagnostics, stale entries). Default 30 s.</summary>
    public TimeSpan IAmAliveTablePublishTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Applies these settings to Orleans' options.</summary>
    internal void ApplyTo(Orleans.Configuration.ClusterMembershipOptions membership)
    {
        membership.ProbeTimeout = ProbeTimeout;
        membership.NumMissedProbesLimit = MissedProbesLimit;
        membership.NumProbedSilos = ProbedSilos;
        membership.NumVotesForDeathDeclaration = VotesForDeathDeclaration;
        membership.TableRefreshTimeout = TableRefreshTimeout;
        membership.IAmAliveTablePublishTimeout = IAmAliveTablePublishTimeout;
    }
}
