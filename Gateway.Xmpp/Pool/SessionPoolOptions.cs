using System.Security.Cryptography.X509Certificates;

namespace Gateway.Xmpp.Pool;

/// <summary>Settings of the connection manager. Bound from <c>Gateway:Pool</c>; validated at start-up.</summary>
public sealed record SessionPoolOptions
{
    public const string Section = "Gateway:Pool";

    /// <summary>Sessions the whole pool may hold.</summary>
    public int MaxSessions { get; init; } = 1_000;

    /// <summary>Sessions one tenant may hold.</summary>
    public int MaxSessionsPerTenant { get; init; } = 100;

    /// <summary>Stanzas queued per session while offline or behind; beyond it sends are refused with a retry hint.</summary>
    public int OutboundQueueCapacity { get; init; } = 1_000;

    /// <summary>
    /// Stanzas one session may have written and not yet acknowledged by its server (XEP-0198); the sender waits for the
    /// server's acknowledgement before writing more. Without such a window a sender faster than its server fills the
    /// socket buffers, where thousands of messages wait unseen for seconds. Default 128: at 64 concurrent senders
    /// against a server at its limit, 128 halved the time to the recipient against 256 at the same rate (load tool,
    /// docs/benchmarks.md); it caps one session at 128 stanzas per round trip to its server (2,560/s at 50 ms).
    /// </summary>
    public int MaxUnacknowledged { get; init; } = 128;

    /// <summary>
    /// How long a session's stream stays quiet before the server is asked to acknowledge what was sent (XEP-0198 §4
    /// &lt;r/&gt;; <see cref="XmppClientOptions.AcknowledgementRequestDelay"/>): messages that follow within it share one
    /// request, answer and journal commit instead of each costing its own. A send with <c>wait=server</c> asks at once,
    /// and so does a sender with five messages outstanding. Bounds how long a message stays "sent" before it is "acked"
    /// (plus the server's answer). Zero asks as soon as the queue is empty. Default 10 ms.
    /// </summary>
    public TimeSpan AcknowledgementDelay { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// Stanzas waiting to be written beyond which a send to an online session waits (at most <see cref="PacingMaxWait"/>)
    /// for the queue to shrink before it is accepted: a caller faster than the server is slowed down rather than piling
    /// up latency in the queue. A session that is offline accepts at once, up to <see cref="OutboundQueueCapacity"/>.
    /// 0 turns pacing off. Default 32: enough to fill the sender's writes while the server keeps up, and every stanza
    /// queued beyond what the server takes is only latency (measured with <see cref="MaxUnacknowledged"/>; see its summary).
    /// </summary>
    public int PacingQueueDepth { get; init; } = 32;

    /// <summary>The longest a send waits for pacing (<see cref="PacingQueueDepth"/>); it is then accepted if the queue has room. Default 2 s.</summary>
    public TimeSpan PacingMaxWait { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Bytes of serialised stanzas one tenant's sessions may hold queued or in the outbox (accepted, not yet acknowledged
    /// by the server), all sessions together; beyond it sends are refused with a retry hint (429). A stanza larger than the
    /// whole budget is always refused. Default 64 MiB.
    /// </summary>
    public long MaxQueuedBytesPerTenant { get; init; } = 64L * 1024 * 1024;

    /// <summary>
    /// The largest stanza a session reads from its server or accepts to send, in bytes of XML. A larger incoming one
    /// ends the stream with <c>policy-violation</c>; a larger send is refused (413). Default 256 KiB, Prosody's default
    /// c2s limit (<c>c2s_stanza_size_limit</c>): a server with a lower limit closes the stream on a larger stanza.
    /// </summary>
    public int MaxStanzaBytes { get; init; } = 256 * 1024;

    /// <summary>
    /// Stanzas per second one session reads from its server; beyond it the session stops reading the socket until the
    /// quota refills (TCP back-pressure, nothing dropped). 0: no limit. Default 20,000, twice what one session of the
    /// load tool receives; lower it to share a gateway's CPU fairly between busy accounts.
    /// </summary>
    public int InboundStanzasPerSecond { get; init; } = 20_000;

    /// <summary>Bytes of XML per second one session reads from its server, like <see cref="InboundStanzasPerSecond"/>. 0: no limit. Default 32 MiB.</summary>
    public long InboundBytesPerSecond { get; init; } = 32L * 1024 * 1024;

    /// <summary>
    /// Inbound IQ requests per session forwarded to API clients (<see cref="IqRequestReceived"/>) and not yet answered;
    /// beyond it a request is answered <c>resource-constraint</c> at once (RFC 6120 §8.3.3.18). Default 32.
    /// </summary>
    public int MaxPendingIqRequests { get; init; } = 32;

    /// <summary>First reconnect delay; doubles each attempt up to <see cref="ReconnectMaxDelay"/>, with full jitter.</summary>
    public TimeSpan ReconnectBaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan ReconnectMaxDelay { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long a session waits before reconnecting after the server ended its stream with <c>policy-violation</c> (a
    /// ban after failed logins, a rate limit), jittered between half of it and all of it.
    /// </summary>
    public TimeSpan PolicyViolationDelay { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// How often an idle session pings its server (XEP-0199) to find one that stopped answering. A connection that died
    /// silently is found sooner (about 90 s) by the kernel's TCP keepalive probes, which cost no wake-up of ours.
    /// </summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>A keepalive ping without answer in this time drops the connection and reconnects.</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>How often each room a session is in is self-pinged (XEP-0410) to find out whether it dropped the session.</summary>
    public TimeSpan RoomSelfPingInterval { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// The fewest SCRAM iterations a server may ask for (RFC 7677 §4: at least 4096); fewer fails the login with
    /// <c>iteration-count-too-low</c>.
    /// </summary>
    public int ScramMinIterations { get; init; } = 4096;

    /// <summary>
    /// The most SCRAM iterations a server may ask for: the gateway runs them on every login and reconnect of every
    /// session, so a hostile server could otherwise burn its CPU. More fails the login with <c>invalid-server-message</c>.
    /// </summary>
    public int ScramMaxIterations { get; init; } = 100_000;

    /// <summary>
    /// How many logins of the pool's sessions derive their SCRAM key (PBKDF2, milliseconds of CPU each) at once; the
    /// others wait their turn. Half the cores by default, at least one: when thousands of sessions log in together (a
    /// start, a server restart), the other cores stay free for traffic and for an XMPP server on the same machine.
    /// </summary>
    public int MaxConcurrentKeyDerivations { get; init; } = Negotiation.Sasl.KeyDerivationLimiter.DefaultConcurrency;

    /// <summary>Time to connect, authenticate and bind.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Default time to wait for an IQ reply.</summary>
    public TimeSpan IqTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long <see cref="DeliveryWait.Server"/> waits for the XEP-0198 acknowledgement.</summary>
    public TimeSpan AckTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long an API client has to answer an <see cref="IqRequestReceived"/> before the gateway answers <c>service-unavailable</c>.</summary>
    public TimeSpan IqAnswerTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Outgoing messages per session whose delivery status is remembered (the oldest are forgotten).</summary>
    public int MessageStatusCapacity { get; init; } = 10_000;

    /// <summary>
    /// How long a send's <c>Idempotency-Key</c> is remembered: a retry within it returns the first attempt's result
    /// and sends nothing. At most <see cref="MessageStatusCapacity"/> keys per session are kept.
    /// </summary>
    public TimeSpan IdempotencyWindow { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Events buffered for the dispatcher before the oldest are dropped.</summary>
    public int EventBufferCapacity { get; init; } = 100_000;

    /// <summary>
    /// Entries (events, outbox changes) that may wait for the journal's next commit before sessions wait: the bound
    /// that turns a slow store into back-pressure on the sockets and the callers instead of memory.
    /// </summary>
    public int JournalCapacity { get; init; } = 65_536;

    /// <summary>
    /// Whether a session spec may name its own host and port. Off by default: letting API callers make the
    /// gateway open TCP connections to arbitrary addresses is a server-side request forgery risk.
    /// </summary>
    public bool AllowHostOverride { get; init; }

    /// <summary>Extra trust anchors for every session (e.g. a private CA or a development server's certificate).</summary>
    public X509Certificate2Collection? TrustedCertificates { get; init; }

    /// <summary>
    /// Whom sessions answer disco#info, version and ping, and send delivery receipts: by default only the account
    /// itself and contacts with a presence subscription, so a stranger cannot probe whether an account is online.
    /// </summary>
    public RespondTo RespondTo { get; init; } = RespondTo.Subscribed;

    /// <summary>
    /// Whether sessions enable XEP-0280 message carbons (default true): copies of what the account's other clients send
    /// and receive are published as <c>message</c> events marked <c>carbon</c>. A session spec may override it.
    /// </summary>
    public bool Carbons { get; init; } = true;

    /// <summary>
    /// Whether sessions' messages with a body carry a XEP-0184 receipt request and (chat messages) a XEP-0333 markable
    /// flag unless a send or the session spec says otherwise (default true). Without them a message's status ends at
    /// acked, and the server has less to do per message: for gateways that only send notifications.
    /// </summary>
    public bool RequestReceipts { get; init; } = true;

    /// <summary>
    /// Whether <see cref="SessionPool.StartAsync"/> restores every stored session (default true). Off when something
    /// else decides which stored sessions this pool runs: with several gateway nodes each session runs on one node only
    /// (<see cref="SessionPool.HostStoredAsync"/>).
    /// </summary>
    public bool RestoreStoredSessions { get; init; } = true;

    /// <summary>XEP-0092 software name announced by the sessions.</summary>
    public string SoftwareName { get; init; } = "XMPP-HTTP Gateway";

    /// <summary>Throws <see cref="ArgumentException"/> naming the setting that is wrong.</summary>
    public void Validate()
    {
        Require(MaxSessions >= 1, nameof(MaxSessions), "must be at least 1");
        Require(MaxSessionsPerTenant >= 1, nameof(MaxSessionsPerTenant), "must be at least 1");
        Require(OutboundQueueCapacity >= 1, nameof(OutboundQueueCapacity), "must be at least 1");
        Require(MaxUnacknowledged >= 1, nameof(MaxUnacknowledged), "must be at least 1");
        Require(AcknowledgementDelay >= TimeSpan.Zero && AcknowledgementDelay <= TimeSpan.FromSeconds(5), nameof(AcknowledgementDelay), "must be between 0 and 5 seconds");
        Require(PacingQueueDepth >= 0, nameof(PacingQueueDepth), "must be at least 0 (0: no pacing)");
        Require(PacingMaxWait >= TimeSpan.Zero && PacingMaxWait <= TimeSpan.FromMinutes(1), nameof(PacingMaxWait), "must be between 0 and one minute");
        Require(EventBufferCapacity >= 100, nameof(EventBufferCapacity), "must be at least 100");
        Require(JournalCapacity >= 16, nameof(JournalCapacity), "must be at least 16");
        Require(MaxStanzaBytes >= 4096, nameof(MaxStanzaBytes), "must be at least 4096 bytes");
        Require(MaxQueuedBytesPerTenant >= 4096, nameof(MaxQueuedBytesPerTenant), "must be at least 4096 bytes");
        Require(InboundStanzasPerSecond >= 0, nameof(InboundStanzasPerSecond), "must be at least 0 (0: no limit)");
        Require(InboundBytesPerSecond == 0 || InboundBytesPerSecond >= MaxStanzaBytes, nameof(InboundBytesPerSecond), $"must be 0 (no limit) or at least MaxStanzaBytes ({MaxStanzaBytes})");
        Require(MaxPendingIqRequests is >= 1 and <= 10_000, nameof(MaxPendingIqRequests), "must be between 1 and 10000");
        Require(MessageStatusCapacity >= 1, nameof(MessageStatusCapacity), "must be at least 1");
        Require(ReconnectBaseDelay > TimeSpan.Zero, nameof(ReconnectBaseDelay), "must be positive");
        Require(ReconnectMaxDelay >= ReconnectBaseDelay, nameof(ReconnectMaxDelay), $"must be at least ReconnectBaseDelay ({ReconnectBaseDelay})");
        Require(PolicyViolationDelay > TimeSpan.Zero && PolicyViolationDelay <= TimeSpan.FromDays(1), nameof(PolicyViolationDelay), "must be positive and at most one day (1.00:00:00)");
        Require(KeepAliveInterval > TimeSpan.Zero, nameof(KeepAliveInterval), "must be positive");
        Require(KeepAliveTimeout > TimeSpan.Zero, nameof(KeepAliveTimeout), "must be positive");
        Require(RoomSelfPingInterval > TimeSpan.Zero, nameof(RoomSelfPingInterval), "must be positive");
        Require(ConnectTimeout > TimeSpan.Zero, nameof(ConnectTimeout), "must be positive");
        Require(ScramMinIterations >= 1, nameof(ScramMinIterations), "must be at least 1 (RFC 7677 asks servers for at least 4096)");
        Require(ScramMaxIterations >= ScramMinIterations && ScramMaxIterations <= 10_000_000, nameof(ScramMaxIterations), $"must be at least ScramMinIterations ({ScramMinIterations}) and at most 10000000");
        Require(MaxConcurrentKeyDerivations is >= 1 and <= 1024, nameof(MaxConcurrentKeyDerivations), "must be between 1 and 1024");
        Require(IqTimeout > TimeSpan.Zero, nameof(IqTimeout), "must be positive");
        Require(AckTimeout > TimeSpan.Zero, nameof(AckTimeout), "must be positive");
        Require(IqAnswerTimeout > TimeSpan.Zero, nameof(IqAnswerTimeout), "must be positive");
        Require(IdempotencyWindow > TimeSpan.Zero, nameof(IdempotencyWindow), "must be positive");
        Require(Enum.IsDefined(RespondTo), nameof(RespondTo), "must be Subscribed or Anyone");
    }

    private static void Require(bool condition, string name, string rule)
    {
        if (!condition)
        {
            throw new ArgumentException($"{Section}:{name} {rule}.", name);
        }
    }

    /// <summary>Refuses a spec that chooses its host or pins certificates where <see cref="AllowHostOverride"/> is off.</summary>
    /// <exception cref="ArgumentException">It does.</exception>
    internal void CheckHostPolicy(SessionSpec spec)
    {
        if (spec.Host is not null && !AllowHostOverride)
        {
            throw new ArgumentException($"Sessions may not choose their own host: {Section}:AllowHostOverride is off.", nameof(spec));
        }

        if (!spec.PinnedCertificateSha256.IsDefaultOrEmpty && !AllowHostOverride)
        {
            // A pin trusts a certificate whatever its name: with DNS pointing anywhere, that is the host override again.
            throw new ArgumentException($"Sessions may not pin certificates: {Section}:AllowHostOverride is off.", nameof(spec));
        }
    }
}
