using Gateway.Xmpp.Pool;

namespace Gateway.Api.Events;

/// <summary>
/// The events of sessions that another node of the cluster runs, for this node's hub subscribers and event streams.
/// Registered only when the gateway runs in a cluster (docs/scale-out.md, "Cross-node events"); a single gateway has
/// none, and its subscribers see only its own pool's sessions, as always.
/// </summary>
public interface IRemoteSessionEvents
{
    /// <summary>
    /// Makes the live events of the tenant's session reach this node's hub dispatcher and event streams from now on
    /// (for as long as a subscriber of this node wants them), and answers the session's state and newest event id;
    /// null when the tenant has no such session (another tenant's session looks the same).
    /// </summary>
    Task<RemoteSessionInfo?> FollowAsync(string tenant, string sessionId, CancellationToken cancellationToken);

    /// <summary>Whether this node follows the session and, as far as it knows, the session still exists.</summary>
    bool IsFollowed(string tenant, string sessionId);
}

/// <summary>A session that runs on another node, as its owner last reported it.</summary>
/// <param name="State">Its connection state.</param>
/// <param name="LastEventId">Its newest event id.</param>
public sealed record RemoteSessionInfo(SessionState State, long LastEventId);
