namespace Gateway.Bench.Load.Cluster;

/// <summary>What a cluster phase ran on.</summary>
/// <param name="Nodes">Gateway processes behind the front.</param>
/// <param name="NodeCores">Each node's CPU budget in cores; null when the nodes ran without one.</param>
/// <param name="SessionsPerNode">The sending sessions each node runs, in node order.</param>
/// <param name="ConnectionsPerNode">HTTP connections the front handed to each node in the phase.</param>
/// <param name="ThrottledPerNode">How long the quota held each node back within the phase (and its drain).</param>
internal sealed record ClusterShape(
    int Nodes, double? NodeCores, IReadOnlyList<int> SessionsPerNode, IReadOnlyList<long> ConnectionsPerNode, IReadOnlyList<TimeSpan> ThrottledPerNode);
