namespace Gateway.Api.Cluster.Events;

/// <summary>
/// One session another node runs that this node's subscribers want: how far this node has handed its journaled events
/// to them (<see cref="Position"/>), and how far the owner says there are (<see cref="Target"/>). Changed under <see cref="Gate"/>.
/// </summary>
internal sealed class FollowedSession(string tenant, string sessionId, DateTimeOffset since)
{
    public Lock Gate { get; } = new();

    public string Tenant { get; } = tenant;

    public string SessionId { get; } = sessionId;

    /// <summary>The last event id handed to this node's subscribers; -1 until the owner first answered.</summary>
    public long Position { get; set; } = -1;

    /// <summary>The newest event id the owner rang or answered with.</summary>
    public long Target { get; set; }

    /// <summary>Waiting in (or being read by) the feed's reader; at most once.</summary>
    public bool Queued { get; set; }

    /// <summary>No longer followed: the reader leaves it.</summary>
    public bool Removed { get; set; }

    /// <summary>When a subscriber last asked for it: a new subscriber has a refresh interval to register before the session counts as unwanted.</summary>
    public DateTimeOffset WantedAt { get; set; } = since;
}
