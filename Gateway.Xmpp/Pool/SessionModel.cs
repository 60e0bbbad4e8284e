using System.Collections.Immutable;

namespace Gateway.Xmpp.Pool;

/// <summary>The life cycle of a pooled session.</summary>
public enum SessionState
{
    /// <summary>First connection attempt under way.</summary>
    Connecting,

    /// <summary>Authenticated and bound: sends go out at once.</summary>
    Online,

    /// <summary>The connection was lost; reconnecting with backoff. Sends are queued.</summary>
    Reconnecting,

    /// <summary>Closed on request. Terminal.</summary>
    Stopped,

    /// <summary>
    /// Gave up: a failure that retrying cannot fix (wrong password, untrusted certificate, replaced by another login).
    /// Final for these settings: new ones (<see cref="ISessionPool.UpdateAsync"/>) start it again, sending what it had
    /// accepted (kept in a durable outbox).
    /// </summary>
    Failed,
}

/// <summary>How to create a session: the account, and where and how to connect.</summary>
public sealed record SessionSpec
{
    /// <summary>Caller-chosen id, unique within the tenant; generated when null.</summary>
    public string? Id { get; init; }

    public required Jid Jid { get; init; }

    public required string Password { get; init; }

    public string? Resource { get; init; }

    /// <summary>Connect here instead of resolving DNS SRV (subject to the pool's host policy).</summary>
    public string? Host { get; init; }

    public int? Port { get; init; }

    public TlsMode TlsMode { get; init; } = TlsMode.StartTlsRequired;

    /// <summary>SHA-256 thumbprints of server certificates to accept as they are (certificate pinning).</summary>
    public ImmutableArray<string> PinnedCertificateSha256 { get; init; } = [];

    /// <summary>Send initial presence once online (and again after every reconnect). Default true.</summary>
    public bool SendInitialPresence { get; init; } = true;

    /// <summary>
    /// Enable XEP-0280 message carbons on every new stream, so the session also sees what the account's other clients
    /// send and receive; null follows <see cref="SessionPoolOptions.Carbons"/>.
    /// </summary>
    public bool? Carbons { get; init; }

    /// <summary>
    /// Whether the session's messages ask the recipient's client for delivery and display reports unless a send says
    /// otherwise (<see cref="RecipientReports"/>); null follows <see cref="SessionPoolOptions.RequestReceipts"/>.
    /// </summary>
    public bool? RequestReceipts { get; init; }

    /// <summary>Describes the spec without the password.</summary>
    public override string ToString() => $"SessionSpec {{ Id = {Id}, Jid = {Jid}, Host = {Host}, Port = {Port}, TlsMode = {TlsMode} }}";
}

/// <summary>
/// What a session runs with: its <see cref="SessionSpec"/> with the pool's defaults applied, without the password.
/// Fixed for the session's life, so its tenant can see what a send that does not say will do.
/// </summary>
public sealed record SessionSettings
{
    /// <summary>The resource asked for at bind; null lets the server choose.</summary>
    public string? Resource { get; init; }

    /// <summary>The host connected to instead of the JID's DNS SRV records; null: resolved.</summary>
    public string? Host { get; init; }

    public int? Port { get; init; }

    public TlsMode TlsMode { get; init; } = TlsMode.StartTlsRequired;

    /// <summary>SHA-256 thumbprints of server certificates accepted as they are.</summary>
    public ImmutableArray<string> PinnedCertificateSha256 { get; init; } = [];

    public bool SendInitialPresence { get; init; } = true;

    /// <summary>Whether XEP-0280 carbons are enabled on every new stream.</summary>
    public bool Carbons { get; init; } = true;

    /// <summary>Whether a send that does not say asks for XEP-0184 receipts and XEP-0333 markers.</summary>
    public bool RequestReceipts { get; init; } = true;

    /// <summary>A spec's defaults with the pool's; what a <see cref="SessionInfo"/> holds until it is given its session's.</summary>
    public static SessionSettings Default { get; } = new();

    /// <summary>The spec's choices, each that it leaves open taken from <paramref name="options"/>.</summary>
    public static SessionSettings From(SessionSpec spec, SessionPoolOptions options)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(options);
        return new SessionSettings
        {
            Resource = spec.Resource,
            Host = spec.Host,
            Port = spec.Port,
            TlsMode = spec.TlsMode,
            // A spec built with `default` has no array at all (the pool reads it as none, IsDefaultOrEmpty): empty here,
            // so that the settings can always be enumerated and serialised.
            PinnedCertificateSha256 = spec.PinnedCertificateSha256.IsDefault ? [] : spec.PinnedCertificateSha256,
            SendInitialPresence = spec.SendInitialPresence,
            Carbons = spec.Carbons ?? options.Carbons,
            RequestReceipts = spec.RequestReceipts ?? options.RequestReceipts,
        };
    }
}

/// <summary>A snapshot of a pooled session, safe to show to its tenant: no secrets.</summary>
public sealed record SessionInfo(
    string Id,
    string Tenant,
    Jid Jid,
    SessionState State,
    DateTimeOffset StateSince,
    DateTimeOffset CreatedAt)
{
    /// <summary>The full JID bound on the current (or last) connection.</summary>
    public Jid? BoundJid { get; init; }

    /// <summary>Why the session is reconnecting or failed: an XMPP condition (<c>not-authorized</c>, <c>conflict</c>, <c>host-unknown</c>) or <c>connection-lost</c>, <c>tls-failed</c>, <c>timeout</c>.</summary>
    public string? Reason { get; init; }

    /// <summary>Human-readable detail for <see cref="Reason"/>.</summary>
    public string? ReasonText { get; init; }

    /// <summary>Reconnect attempts since the session was last online.</summary>
    public int ReconnectAttempt { get; init; }

    /// <summary>Whether the server enabled XEP-0198 stream management on the current connection.</summary>
    public bool StreamManagement { get; init; }

    /// <summary>Stanzas waiting in the outbound queue.</summary>
    public int QueuedOutbound { get; init; }

    /// <summary>The id of the last event published for this session (0 before any).</summary>
    public long LastEventId { get; init; }

    /// <summary>What the session runs with (its spec after the pool's defaults).</summary>
    public SessionSettings Settings { get; init; } = SessionSettings.Default;
}

/// <summary>Readiness summary.</summary>
public sealed record PoolHealth(bool Running, ImmutableDictionary<SessionState, int> SessionsByState);
