using Gateway.Xmpp.StreamManagement;
using Gateway.Xmpp.Transport;

namespace Gateway.Xmpp.Client;

/// <summary>How a <see cref="ReconnectingXmppClient"/> connects, reconnects and keeps its connection alive.</summary>
public sealed record ReconnectingClientOptions
{
    /// <summary>
    /// The account and server. XEP-0198 resumption and keeping unacknowledged stanzas across connections are always
    /// on: that is what lets a reconnect lose nothing.
    /// </summary>
    public required XmppClientOptions Connection { get; init; }

    /// <summary>First reconnect delay; doubles each attempt up to <see cref="ReconnectMaxDelay"/>, with full jitter.</summary>
    public TimeSpan ReconnectBaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan ReconnectMaxDelay { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long to wait after the server ended the stream with <c>policy-violation</c> for a reason other than a stanza
    /// of ours being too large: a ban (ejabberd's mod_fail2ban answers every stream from an address with it for an hour
    /// after repeated failed logins) or a rate limit, which quick retries would only prolong. Jittered between half of it
    /// and all of it.
    /// </summary>
    public TimeSpan PolicyViolationDelay { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// A stream idle this long is pinged (XEP-0199) to find a server that stopped answering. A connection that died
    /// silently is found sooner by the kernel's TCP keepalive probes (about 90 s, see <see cref="Transport.TcpSocketConnector"/>),
    /// which cost no wake-up; ten thousand idle sessions pinging every minute cost several percent of a core.
    /// </summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>A keepalive ping without answer in this time drops the connection, which then reconnects.</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// The timer that wakes keepalives, shared by many clients (a pool's sessions); null gives the client its own,
    /// ticking at a quarter of <see cref="KeepAliveInterval"/>. Not owned: whoever shares it disposes it.
    /// </summary>
    internal KeepAliveTicker? KeepAliveTicker { get; init; }

    /// <summary>Send unavailable presence before closing the stream on a graceful stop (RFC 6121 §4.5.1). Default true.</summary>
    public bool SendUnavailableOnStop { get; init; } = true;

    /// <summary>
    /// When the client gives up (a wrong password, say), keep what the last stream left unacknowledged for
    /// <see cref="ReconnectingXmppClient.StopAsync"/> to return, instead of failing it at once: for an owner that keeps
    /// it durably and may start again with other settings. Default false: the stanzas' senders learn at once.
    /// </summary>
    public bool KeepUnacknowledgedOnFailure { get; init; }

    /// <summary>Asked which unacknowledged stanzas the server already has when it cannot say itself; null resends them all.</summary>
    public HandledStanzaLookup? LookupHandled { get; init; }

    /// <summary>How endpoints are found; DNS SRV when null.</summary>
    public IXmppEndpointResolver? Resolver { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the setting that is wrong.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Connection);
        Connection.Validate();
        Require(ReconnectBaseDelay > TimeSpan.Zero, nameof(ReconnectBaseDelay), "must be positive");
        Require(ReconnectMaxDelay >= ReconnectBaseDelay, nameof(ReconnectMaxDelay), "must be at least ReconnectBaseDelay");
        Require(PolicyViolationDelay > TimeSpan.Zero && PolicyViolationDelay <= TimeSpan.FromDays(1), nameof(PolicyViolationDelay), "must be positive and at most one day");
        Require(KeepAliveInterval > TimeSpan.Zero, nameof(KeepAliveInterval), "must be positive");
        Require(KeepAliveTimeout > TimeSpan.Zero, nameof(KeepAliveTimeout), "must be positive");
    }

    private static void Require(bool condition, string name, string rule)
    {
        if (!condition)
        {
            throw new ArgumentException($"ReconnectingClientOptions.{name} {rule}.", name);
        }
    }
}
