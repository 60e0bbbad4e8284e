namespace Gateway.Api.Cluster.Forwarding;

/// <summary>What a node does with a session-scoped request (<see cref="ForwardingPlan"/>).</summary>
internal enum ForwardingAction
{
    /// <summary>This node's endpoints answer: it runs the session, or nobody does (then it is 404, as unknown).</summary>
    Serve,

    /// <summary>Ask the session's grain where it runs.</summary>
    Lookup,

    /// <summary>Send the request to the owner's HTTP address.</summary>
    Forward,

    /// <summary>400: the request carries a forwarding marker no node of this cluster made for it.</summary>
    Refuse,

    /// <summary>503 with Retry-After: a forwarded request for a session this node no longer runs (it is moving).</summary>
    Moving,

    /// <summary>503 with Retry-After: where the session runs cannot be learned, or its node cannot be reached.</summary>
    Unavailable,
}

/// <summary>
/// The forwarding decisions, without I/O. A request is forwarded at most once: a node receiving a forwarded request
/// answers it from its own pool or with 503, never forwards it on (no loops, even while the cluster's view of a
/// session's owner changes under the request).
/// </summary>
internal static class ForwardingPlan
{
    /// <summary>Before asking the grain: from the request's marker and whether this node's pool runs the session.</summary>
    public static ForwardingAction Start(MarkerCheck marker, bool runsHere) => marker switch
    {
        MarkerCheck.Invalid => ForwardingAction.Refuse,
        _ when runsHere => ForwardingAction.Serve,
        MarkerCheck.Valid => ForwardingAction.Moving,
        _ => ForwardingAction.Lookup,
    };

    /// <summary>After asking the grain (<paramref name="owner"/> null: the grain did not answer).</summary>
    public static ForwardingAction AfterLookup(SessionOwner? owner, string localSilo) => owner switch
    {
        null => ForwardingAction.Unavailable,

        // Not stored, or being created: the endpoint answers (404 for a session that does not exist).
        { Hosted: false } => ForwardingAction.Serve,

        // Runs here: the grain may just have been activated on this node (its node died), which hosted the session.
        _ when owner.Silo == localSilo => ForwardingAction.Serve,
        { HttpBaseAddress: null } => ForwardingAction.Unavailable,
        _ => ForwardingAction.Forward,
    };
}
