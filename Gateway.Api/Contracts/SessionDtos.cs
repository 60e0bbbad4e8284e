using Gateway.Xmpp.Pool;

namespace Gateway.Api.Contracts;

/// <summary>Opens a pooled XMPP session: the gateway logs in, keeps the session online and reconnects it when needed.</summary>
public sealed record CreateSessionRequest
{
    /// <summary>The account: a bare JID (<c>local@domain</c>), or a full JID whose resource is requested at bind.</summary>
    /// <example>alice@example.com</example>
    public required string Jid { get; init; }

    /// <summary>The account's password. Used to log in and reconnect; never returned and never logged.</summary>
    /// <example>correct horse battery staple</example>
    public required string Password { get; init; }

    /// <summary>The resource to request at bind (RFC 6120 §7.6); the server may assign another. Overrides a resource in <see cref="Jid"/>.</summary>
    /// <example>gateway</example>
    public string? Resource { get; init; }

    /// <summary>
    /// Connect to this host instead of resolving the DNS SRV records of the JID's domain. Refused with 400
    /// (<c>host-override-not-allowed</c>) unless the gateway sets <c>Gateway:Pool:AllowHostOverride</c>.
    /// </summary>
    /// <example>xmpp.example.com</example>
    public string? Host { get; init; }

    /// <summary>TCP port, 1-65535; with the same restriction as <see cref="Host"/>.</summary>
    /// <example>5222</example>
    public int? Port { get; init; }

    /// <summary>
    /// <c>starttls</c> (default: STARTTLS required), <c>direct-tls</c> (XEP-0368, TLS from the first byte) or
    /// <c>disabled</c> (plaintext, for loopback test servers; only where <c>Gateway:Pool:AllowHostOverride</c> is set).
    /// </summary>
    /// <example>starttls</example>
    public string? TlsMode { get; init; }

    /// <summary>
    /// SHA-256 fingerprints (64 hex digits, ':' separators allowed) of server certificates to accept as they are; only
    /// where the gateway sets <c>Gateway:Pool:AllowHostOverride</c> (400 otherwise).
    /// </summary>
    /// <example>["3F:9A:5C:21:0B:7E:44:D2:19:8C:6F:01:AE:53:B7:90:2D:E4:71:C8:5A:0F:36:B9:E2:47:1D:8B:C3:6E:95:04"]</example>
    public IReadOnlyList<string>? PinnedCertificateSha256 { get; init; }

    /// <summary>Your id for the session, unique within your sessions: 1-64 letters, digits, '_' or '-', starting with a letter or digit. Generated when absent.</summary>
    /// <example>support-bot</example>
    public string? Id { get; init; }

    /// <summary>Send initial presence once online and after every reconnect (default true); false keeps the session invisible.</summary>
    /// <example>true</example>
    public bool? SendInitialPresence { get; init; }

    /// <summary>
    /// Enable XEP-0280 message carbons, so the session also sees what the account's other clients send and receive
    /// (<c>message</c> events with <c>carbon</c> set); default: <c>Gateway:Pool:Carbons</c> (true).
    /// </summary>
    /// <example>true</example>
    public bool? Carbons { get; init; }

    /// <summary>
    /// Whether this session's messages ask the recipient's client for delivery and display reports when a send does
    /// not say (its <c>requestReceipts</c>); default: <c>Gateway:Pool:RequestReceipts</c> (true). false suits a
    /// session that only sends notifications: their status ends at acked.
    /// </summary>
    /// <example>true</example>
    public bool? RequestReceipts { get; init; }
}

/// <summary>
/// Changes a session's settings (<c>PATCH /api/v1/sessions/{id}</c>): each property left out (or null) stays as it is.
/// The account (the JID) and the id cannot change.
/// </summary>
public sealed record UpdateSessionRequest
{
    /// <summary>A new password, e.g. after it was changed on the server. Tried with a login of its own first; never returned and never logged.</summary>
    /// <example>new horse battery staple</example>
    public string? Password { get; init; }

    /// <summary>The resource to request at bind from now on.</summary>
    /// <example>gateway-2</example>
    public string? Resource { get; init; }

    /// <summary>Connect to this host from now on; with the same restriction as on create.</summary>
    /// <example>xmpp2.example.com</example>
    public string? Host { get; init; }

    /// <summary>TCP port, 1-65535; with the same restriction as <see cref="Host"/>.</summary>
    /// <example>5222</example>
    public int? Port { get; init; }

    /// <summary><c>starttls</c>, <c>direct-tls</c> or <c>disabled</c>, as on create.</summary>
    /// <example>starttls</example>
    public string? TlsMode { get; init; }

    /// <summary>Replaces the pinned certificate fingerprints; an empty list removes them. As on create.</summary>
    /// <example>[]</example>
    public IReadOnlyList<string>? PinnedCertificateSha256 { get; init; }

    /// <summary>Send initial presence from now on (true) or keep the session invisible (false).</summary>
    /// <example>true</example>
    public bool? SendInitialPresence { get; init; }

    /// <summary>Enable XEP-0280 message carbons from now on.</summary>
    /// <example>true</example>
    public bool? Carbons { get; init; }

    /// <summary>Whether messages ask for delivery and display reports when a send does not say.</summary>
    /// <example>false</example>
    public bool? RequestReceipts { get; init; }
}

/// <summary>A pooled session as its tenant sees it. Never carries the password.</summary>
public sealed record SessionDto
{
    /// <summary>The session id, unique within the tenant.</summary>
    /// <example>support-bot</example>
    public required string Id { get; init; }

    /// <summary>The account's bare JID.</summary>
    /// <example>alice@example.com</example>
    public required string Jid { get; init; }

    /// <summary>The full JID bound on the current (or last) connection.</summary>
    /// <example>alice@example.com/gateway</example>
    public string? BoundJid { get; init; }

    /// <summary>
    /// connecting, online, reconnecting, stopped or failed; in a clustered gateway's list only, remote: the session runs
    /// on another node (or is between nodes), and its own GET gives its live state.
    /// </summary>
    /// <example>online</example>
    public required string State { get; init; }

    /// <summary>When the session entered <see cref="State"/>.</summary>
    /// <example>2025-01-31T09:30:00+00:00</example>
    public DateTimeOffset StateSince { get; init; }

    /// <summary>When the session was created.</summary>
    /// <example>2025-01-31T09:29:58+00:00</example>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>
    /// Why the session is reconnecting or failed: an XMPP condition (<c>not-authorized</c>, <c>conflict</c>,
    /// <c>host-unknown</c>) or <c>connection-lost</c>, <c>tls-failed</c>, <c>timeout</c>; null when online.
    /// </summary>
    /// <example>null</example>
    public string? Reason { get; init; }

    /// <summary>Human-readable detail for <see cref="Reason"/>.</summary>
    /// <example>null</example>
    public string? ReasonText { get; init; }

    /// <summary>Reconnect attempts since the session was last online.</summary>
    /// <example>0</example>
    public int ReconnectAttempt { get; init; }

    /// <summary>Whether the server enabled XEP-0198 stream management (needed for <c>?wait=server</c>).</summary>
    /// <example>true</example>
    public bool StreamManagement { get; init; }

    /// <summary>Stanzas waiting in the outbound queue.</summary>
    /// <example>0</example>
    public int QueuedOutbound { get; init; }

    /// <summary>The id of the last event published for this session (0 before any); events are numbered per session.</summary>
    /// <example>42</example>
    public long LastEventId { get; init; }

    /// <summary>What the session was created with, after the gateway's defaults; never the password.</summary>
    public required SessionSettingsDto Settings { get; init; }
}

/// <summary>
/// A session's settings: each choice of <see cref="CreateSessionRequest"/> as the session runs with it, where the
/// request left it out the gateway's default. They stay as created; a different choice needs a new session.
/// </summary>
public sealed record SessionSettingsDto
{
    /// <summary>The resource asked for at bind; null: the server chose one (see <see cref="SessionDto.BoundJid"/>).</summary>
    /// <example>gateway</example>
    public string? Resource { get; init; }

    /// <summary>The host connected to; null: the JID's domain, by its DNS SRV records.</summary>
    /// <example>null</example>
    public string? Host { get; init; }

    /// <summary>The TCP port; null: from DNS, or the default.</summary>
    /// <example>null</example>
    public int? Port { get; init; }

    /// <summary><c>starttls</c>, <c>direct-tls</c> or <c>disabled</c>.</summary>
    /// <example>starttls</example>
    public required string TlsMode { get; init; }

    /// <summary>Server certificate fingerprints accepted as they are, as given; empty: none.</summary>
    /// <example>[]</example>
    public required IReadOnlyList<string> PinnedCertificateSha256 { get; init; }

    /// <summary>Whether the session sends initial presence once online and after every reconnect.</summary>
    /// <example>true</example>
    public bool SendInitialPresence { get; init; }

    /// <summary>Whether XEP-0280 message carbons are enabled on every stream.</summary>
    /// <example>true</example>
    public bool Carbons { get; init; }

    /// <summary>Whether a send that does not say asks the recipient's client for delivery and display reports.</summary>
    /// <example>true</example>
    public bool RequestReceipts { get; init; }
}

/// <summary>Maps pool snapshots to their JSON shape.</summary>
public static class SessionMapper
{
    public static SessionDto ToDto(SessionInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        return new SessionDto
        {
            Id = info.Id,
            Jid = info.Jid.Bare.ToString(),
            BoundJid = info.BoundJid?.ToString(),
            State = StateName(info.State),
            StateSince = info.StateSince,
            CreatedAt = info.CreatedAt,
            Reason = info.Reason,
            ReasonText = info.ReasonText,
            ReconnectAttempt = info.ReconnectAttempt,
            StreamManagement = info.StreamManagement,
            QueuedOutbound = info.QueuedOutbound,
            LastEventId = info.LastEventId,
            Settings = ToDto(info.Settings),
        };
    }

    public static SessionSettingsDto ToDto(SessionSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new SessionSettingsDto
        {
            Resource = settings.Resource,
            Host = settings.Host,
            Port = settings.Port,
            TlsMode = InputRules.TlsModeName(settings.TlsMode),
            PinnedCertificateSha256 = settings.PinnedCertificateSha256,
            SendInitialPresence = settings.SendInitialPresence,
            Carbons = settings.Carbons,
            RequestReceipts = settings.RequestReceipts,
        };
    }

    /// <summary>The JSON name of a session state (the same names the hub's session-state events use).</summary>
    public static string StateName(SessionState state) => state switch
    {
        SessionState.Connecting => "connecting",
        SessionState.Online => "online",
        SessionState.Reconnecting => "reconnecting",
        SessionState.Stopped => "stopped",
        SessionState.Failed => "failed",
        _ => "unknown",
    };
}
