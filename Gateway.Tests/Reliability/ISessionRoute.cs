namespace Gateway.Tests.Reliability;

/// <summary>
/// Which gateway node a client's next request about one session goes to. One gateway: always the same
/// (<see cref="FixedRoute"/>). Several nodes: the one that runs the session, or any node once nodes forward to it
/// (Gateway.Tests.Cluster's routes). The clients (<see cref="RestSender"/>, <see cref="HubSubscriber"/>) ask for a node
/// before every attempt and report where an attempt went wrong, so the choice lives here only.
/// </summary>
internal interface ISessionRoute
{
    /// <summary>
    /// True when the nodes answer only for the sessions they run: a "session not found" from a node then means "ask
    /// another one" (the session moved or is between nodes), not a wrong request.
    /// </summary>
    bool NotFoundMeansElsewhere { get; }

    /// <summary>The node for the next attempt; <paramref name="attempt"/> is 0 for a first try, more after failures.</summary>
    ValueTask<Uri> NodeAsync(int attempt, CancellationToken cancellationToken);
}

/// <summary>One gateway (restarted in place, if at all): every request goes to its address.</summary>
internal sealed class FixedRoute(Uri gateway) : ISessionRoute
{
    public bool NotFoundMeansElsewhere => false;

    public ValueTask<Uri> NodeAsync(int attempt, CancellationToken cancellationToken) => ValueTask.FromResult(gateway);

    public override string ToString() => gateway.ToString();
}
