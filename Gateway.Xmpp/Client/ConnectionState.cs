namespace Gateway.Xmpp.Client;

/// <summary>The life cycle of a <see cref="ReconnectingXmppClient"/>.</summary>
public enum ConnectionState
{
    /// <summary>First connection attempt under way.</summary>
    Connecting,

    /// <summary>Authenticated and bound, and every connection feature has set itself up.</summary>
    Online,

    /// <summary>The connection was lost; reconnecting with backoff.</summary>
    Reconnecting,

    /// <summary>Closed on request. Terminal.</summary>
    Stopped,

    /// <summary>Gave up: a failure that retrying cannot fix (wrong password, untrusted certificate, replaced by another login). Terminal.</summary>
    Failed,
}

/// <summary>Where a <see cref="ReconnectingXmppClient"/> stands, and why.</summary>
/// <param name="State">The state.</param>
/// <param name="Since">When it entered the state.</param>
/// <param name="Reason">
/// Why it is reconnecting or failed: an XMPP condition (<c>not-authorized</c>, <c>conflict</c>, <c>host-unknown</c>) or
/// <c>connection-lost</c>, <c>tls-failed</c>, <c>timeout</c>; null when online.
/// </param>
/// <param name="ReasonText">Human-readable detail for <paramref name="Reason"/>.</param>
/// <param name="Attempt">Reconnect attempts since it was last online.</param>
public sealed record ConnectionStatus(ConnectionState State, DateTimeOffset Since, string? Reason = null, string? ReasonText = null, int Attempt = 0)
{
    /// <summary>Stopped or failed: it will not connect again.</summary>
    public bool IsTerminal => State is ConnectionState.Stopped or ConnectionState.Failed;
}
