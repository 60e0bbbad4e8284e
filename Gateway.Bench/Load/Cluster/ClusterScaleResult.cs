namespace Gateway.Bench.Load.Cluster;

/// <summary>Session scale on a cluster: the scale scenario's figures through the front, and each node's share.</summary>
/// <param name="Nodes">Gateway processes behind the front.</param>
/// <param name="Scale">The scale scenario's figures; its gateway figures are the nodes' sums.</param>
/// <param name="SessionsPerNode">Sessions each node runs afterwards (the throughput phases' senders included).</param>
/// <param name="SessionsBeforePerNode">Sessions each node ran before the creates (the throughput phases' senders).</param>
/// <param name="RssBeforeKib">Each node's VmRSS before the creates (after the throughput phases).</param>
/// <param name="RssAfterIdleKib">Each node's VmRSS after the idle period.</param>
internal sealed record ClusterScaleResult(
    int Nodes, ScaleResult Scale, IReadOnlyList<int> SessionsPerNode, IReadOnlyList<int> SessionsBeforePerNode, IReadOnlyList<long> RssBeforeKib, IReadOnlyList<long> RssAfterIdleKib);
