using System.Security.Cryptography.X509Certificates;
using Gateway.Xmpp.Protocol;

namespace Gateway.Xmpp;

/// <summary>How the client secures the connection.</summary>
public enum TlsMode
{
    /// <summary>RFC 6120 §5: STARTTLS is required; a server that does not offer it is refused. The default.</summary>
    StartTlsRequired,

    /// <summary>XEP-0368: TLS from the first byte (usually port 5223).</summary>
    DirectTls,

    /// <summary>
    /// No TLS at all. Only for a deliberately plaintext loopback test server; SASL PLAIN is still refused
    /// unless <see cref="XmppClientOptions.AllowPlainAuthenticationWithoutTls"/> is also set.
    /// </summary>
    Disabled,
}

/// <summary>Everything one client connection needs. Validated by <see cref="Validate"/> before connecting.</summary>
public sealed record XmppClientOptions
{
    /// <summary>The account's JID; a resource here is the one requested at bind (RFC 6120 §7.6).</summary>
    public required Jid Jid { get; init; }

    /// <summary>The account password. Never logged.</summary>
    public required string Password { get; init; }

    /// <summary>Resource to request at bind; overrides a resource in <see cref="Jid"/>. Null lets the server assign one.</summary>
    public string? Resource { get; init; }

    /// <summary>Connect here instead of resolving DNS SRV records for the JID's domain.</summary>
    public string? Host { get; init; }

    /// <summary>Port for <see cref="Host"/>; defaults to 5222 (5223 for direct TLS).</summary>
    public int? Port { get; init; }

    public TlsMode TlsMode { get; init; } = TlsMode.StartTlsRequired;

    /// <summary>
    /// Allow connections to loopback, private, link-local, unique-local, carrier-grade NAT and other non-public
    /// addresses when they come from the JID's domain (an IP literal, <c>localhost</c>, DNS SRV, A/AAAA) or from a
    /// <c>see-other-host</c> redirect. Default false: whoever chooses the JID must not reach the gateway's own network
    /// (server-side request forgery). An explicit <see cref="Host"/> is the application's own choice and always allowed.
    /// </summary>
    public bool AllowPrivateAddresses { get; init; }

    /// <summary>How host names become IP addresses (A/AAAA); the system resolver when null.</summary>
    public Transport.IHostAddressResolver? AddressResolver { get; init; }

    /// <summary>Opens the TCP connections; for tests that must observe connection attempts without making them.</summary>
    internal Transport.ISocketConnector? SocketConnector { get; init; }

    /// <summary>
    /// Extra trust anchors (e.g. a development CA or a self-signed server certificate, PEM or DER). The
    /// certificate must still chain to one of them and match the JID's domain.
    /// </summary>
    public X509Certificate2Collection? TrustedCertificates { get; init; }

    /// <summary>
    /// SHA-256 thumbprints (hex) of server certificates to accept as they are, whatever their issuer and
    /// name: certificate pinning, an explicit decision by the operator.
    /// </summary>
    public IReadOnlyCollection<string>? PinnedCertificateSha256 { get; init; }

    /// <summary>
    /// Restricts SASL to these mechanisms (e.g. to test one, or to forbid PLAIN). Null allows every
    /// mechanism the library implements; the strongest offered is always chosen.
    /// </summary>
    public IReadOnlyCollection<string>? SaslMechanisms { get; init; }

    /// <summary>Enable XEP-0198 stream management (acknowledgements) when the server offers it. Default true.</summary>
    public bool EnableStreamManagement { get; init; } = true;

    /// <summary>
    /// Ask the server to keep the session when the connection drops, so a reconnect can resume it with no
    /// stanza lost or repeated (XEP-0198 §5). Use with <see cref="XmppClient.DetachStream"/>. Default false:
    /// a resumable session stays on the server for minutes after a disconnect, receiving in our place.
    /// </summary>
    public bool EnableStreamResumption { get; init; }

    /// <summary>
    /// Keep unacknowledged stanzas (and their senders' pending acknowledgements) when the stream ends, for
    /// <see cref="XmppClient.DetachStream"/> to hand to the next connection. Default false: they fail at once.
    /// </summary>
    public bool KeepUnacknowledgedOnDisconnect { get; init; }

    /// <summary>
    /// With XEP-0198, how long the stream stays quiet before the server is asked to acknowledge stanzas sent without a
    /// request (§4 leaves the timing to the sender): stanzas that follow within it share one request. A send that asks
    /// for the acknowledgement, or five outstanding stanzas, ask at once. Zero asks as soon as anything is outstanding
    /// once a write or an answer is done. Default 10 ms; at most 5 s.
    /// </summary>
    public TimeSpan AcknowledgementRequestDelay { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// The fewest SCRAM PBKDF2 iterations the server may ask for (RFC 7677 §4: at least 4096); fewer fails
    /// authentication with <c>iteration-count-too-low</c>.
    /// </summary>
    public int ScramMinIterations { get; init; } = Negotiation.Sasl.ScramClient.DefaultMinIterations;

    /// <summary>
    /// The most SCRAM PBKDF2 iterations the server may ask for: the client runs them on every login and reconnect, so a
    /// hostile server could otherwise burn our CPU. More fails authentication with <c>invalid-server-message</c>.
    /// </summary>
    public int ScramMaxIterations { get; init; } = Negotiation.Sasl.ScramClient.DefaultMaxIterations;

    /// <summary>
    /// Keeps the account's SCRAM SaltedPassword between this account's logins, so a reconnect skips PBKDF2 (RFC 5802
    /// §5.1). Share one per account across its connections; null derives it on every login.
    /// </summary>
    public Negotiation.Sasl.ScramKeyCache? ScramKeyCache { get; init; }

    /// <summary>
    /// Bounds the SASL key derivations (SCRAM's PBKDF2) this client runs at once together with every client sharing
    /// it; null: no bound. A pool shares one, so that many logins at once leave cores for everything else.
    /// </summary>
    public Negotiation.Sasl.KeyDerivationLimiter? KeyDerivationLimiter { get; init; }

    /// <summary>Allow SASL PLAIN on an unencrypted stream. Never enable outside a loopback test setup.</summary>
    public bool AllowPlainAuthenticationWithoutTls { get; init; }

    /// <summary>Upper bound for DNS, TCP, TLS and the whole stream negotiation.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Default time to wait for an IQ reply.</summary>
    public TimeSpan IqTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a graceful close waits for the server's closing tag (RFC 6120 §4.4).</summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A larger incoming element ends the stream with <c>policy-violation</c> (RFC 6120 §4.9.3.12) instead of growing
    /// memory. Default 256 KiB: what Prosody accepts from a client by default (<c>c2s_stanza_size_limit</c>), so no
    /// well-behaved server sends more, and a flood of large stanzas costs at most this much per connection.
    /// </summary>
    public int MaxStanzaBytes { get; init; } = XmppStreamParser.DefaultMaxStanzaBytes;

    /// <summary>Incoming stanzas buffered for the consumer before the reader waits (TCP back-pressure).</summary>
    public int IncomingQueueCapacity { get; init; } = 1_000;

    /// <summary>
    /// Count a stanza from <see cref="XmppClient.Incoming"/> as handled (the XEP-0198 'h' the server sees) only once the
    /// consumer calls <see cref="XmppClient.AcknowledgeIncoming"/> for it, e.g. after storing it: then a stanza the server
    /// believes delivered is never one a crash lost, and the server resends (or keeps) the others. Default false:
    /// counted as soon as it is queued for the consumer.
    /// </summary>
    public bool AcknowledgeIncomingManually { get; init; }

    /// <summary>
    /// IQ requests (get/set) whose handlers may run at once; beyond it a request is answered <c>resource-constraint</c>
    /// (RFC 6120 §8.3.3.18) instead of queueing work without bound.
    /// </summary>
    public int MaxConcurrentIqRequests { get; init; } = 64;

    /// <summary>
    /// How fast the connection reads from the server (stanzas and bytes per second). Beyond it reading pauses, so TCP
    /// flow control holds the server back and nothing is dropped. Null (the default) reads as fast as the consumer takes.
    /// </summary>
    public InboundQuota? InboundQuota { get; init; }

    /// <summary>XEP-0092: the software name answered to <c>jabber:iq:version</c>.</summary>
    public string SoftwareName { get; init; } = "Gateway.Xmpp";

    /// <summary>XEP-0092: the software version; defaults to the assembly's informational version.</summary>
    public string? SoftwareVersion { get; init; }

    /// <summary>
    /// Whom disco#info, version and ping requests are answered, and receipts sent: by default only the account itself
    /// and contacts with a presence subscription (learned from the roster this session requests), so strangers cannot
    /// probe whether the account is online (XEP-0184 §8, XEP-0092 §5).
    /// </summary>
    public RespondTo RespondTo { get; init; } = RespondTo.Subscribed;

    /// <summary>The RFC 6120 §4.7.4 default language of the stream.</summary>
    public string Language { get; init; } = "en";

    /// <summary>Describes the options without the password.</summary>
    public override string ToString() =>
        $"XmppClientOptions {{ Jid = {Jid}, Host = {Host ?? "(DNS SRV)"}, Port = {Port}, TlsMode = {TlsMode} }}";

    /// <summary>Throws <see cref="ArgumentException"/> naming the setting that is wrong.</summary>
    public void Validate()
    {
        if (string.IsNullOrEmpty(Password))
        {
            throw new ArgumentException("XmppClientOptions.Password must not be empty.", nameof(Password));
        }

        if (Jid.Local is null)
        {
            throw new ArgumentException($"XmppClientOptions.Jid must name an account (local@domain), not '{Jid}'.", nameof(Jid));
        }

        if (Port is < 1 or > 65535)
        {
            throw new ArgumentException($"XmppClientOptions.Port must be 1-65535, not {Port}.", nameof(Port));
        }

        if (MaxStanzaBytes < 4096)
        {
            throw new ArgumentException($"XmppClientOptions.MaxStanzaBytes must be at least 4096, not {MaxStanzaBytes}.", nameof(MaxStanzaBytes));
        }

        if (ScramMinIterations < 1 || ScramMaxIterations < ScramMinIterations || ScramMaxIterations > 10_000_000)
        {
            throw new ArgumentException($"XmppClientOptions.ScramMinIterations ({ScramMinIterations}) must be at least 1 and at most ScramMaxIterations ({ScramMaxIterations}), which must be at most 10,000,000.", nameof(ScramMaxIterations));
        }

        if (IncomingQueueCapacity < 1)
        {
            throw new ArgumentException("XmppClientOptions.IncomingQueueCapacity must be at least 1.", nameof(IncomingQueueCapacity));
        }

        if (AcknowledgementRequestDelay < TimeSpan.Zero || AcknowledgementRequestDelay > TimeSpan.FromSeconds(5))
        {
            throw new ArgumentException($"XmppClientOptions.AcknowledgementRequestDelay must be between 0 and 5 seconds, not {AcknowledgementRequestDelay}.", nameof(AcknowledgementRequestDelay));
        }

        if (MaxConcurrentIqRequests < 1)
        {
            throw new ArgumentException("XmppClientOptions.MaxConcurrentIqRequests must be at least 1.", nameof(MaxConcurrentIqRequests));
        }

        if (!Enum.IsDefined(RespondTo))
        {
            throw new ArgumentException($"XmppClientOptions.RespondTo must be Subscribed or Anyone, not {RespondTo}.", nameof(RespondTo));
        }

        if (InboundQuota is { } quota && (quota.StanzasPerSecond < 0 || quota.BytesPerSecond < 0 || quota.Burst <= TimeSpan.Zero))
        {
            throw new ArgumentException($"XmppClientOptions.InboundQuota needs rates of at least 0 (0: no limit) and a positive Burst, not {quota}.", nameof(InboundQuota));
        }

        foreach (var (name, value) in new[] { (nameof(ConnectTimeout), ConnectTimeout), (nameof(IqTimeout), IqTimeout), (nameof(CloseTimeout), CloseTimeout) })
        {
            if (value <= TimeSpan.Zero)
            {
                throw new ArgumentException($"XmppClientOptions.{name} must be positive, not {value}.", name);
            }
        }

        if (PinnedCertificateSha256 is not null && PinnedCertificateSha256.Any(p => NormalizeThumbprint(p).Length != 64))
        {
            throw new ArgumentException("XmppClientOptions.PinnedCertificateSha256 entries must be SHA-256 thumbprints: 64 hex digits.", nameof(PinnedCertificateSha256));
        }
    }

    internal static string NormalizeThumbprint(string thumbprint) =>
        new string(thumbprint.Where(Uri.IsHexDigit).ToArray()).ToUpperInvariant();
}
