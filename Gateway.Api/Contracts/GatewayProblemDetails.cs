namespace Gateway.Api.Contracts;

/// <summary>
/// Every error response: RFC 9457 problem details (<c>application/problem+json</c>) with the gateway's extensions.
/// Failures that come from XMPP carry the protocol's condition: a stanza error its RFC 6120 §8.3.3 condition, type
/// and text; a SASL failure its RFC 6120 §6.5 condition; a stream error its RFC 6120 §4.9.3 condition.
/// </summary>
public sealed record GatewayProblemDetails
{
    /// <summary>A URI for the kind of problem (the HTTP status's section of RFC 9110).</summary>
    /// <example>https://tools.ietf.org/html/rfc9110#section-15.5.5</example>
    public string? Type { get; init; }

    /// <summary>The HTTP status's reason phrase.</summary>
    /// <example>Not Found</example>
    public string? Title { get; init; }

    /// <summary>The HTTP status code.</summary>
    /// <example>404</example>
    public int Status { get; init; }

    /// <summary>What went wrong, for people.</summary>
    /// <example>There is no session 'support-bot' for this API key.</example>
    public string? Detail { get; init; }

    /// <summary>
    /// What went wrong, for programs: a stable code such as <c>session-not-found</c>, <c>validation-failed</c>,
    /// <c>xmpp-stanza-error</c>, <c>xmpp-auth-failed</c>, <c>xmpp-connection-failed</c>, <c>xmpp-tls-failed</c>,
    /// <c>xmpp-timeout</c>, <c>outbound-queue-full</c>.
    /// </summary>
    /// <example>session-not-found</example>
    public required string Code { get; init; }

    /// <summary>Identifies the request in the gateway's logs and traces: quote it when reporting a problem.</summary>
    /// <example>00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01</example>
    public required string TraceId { get; init; }

    /// <summary>The XMPP condition, when XMPP said no: <c>item-not-found</c>, <c>not-authorized</c>, <c>conflict</c>…</summary>
    /// <example>item-not-found</example>
    public string? XmppCondition { get; init; }

    /// <summary>The stanza error type (cancel, continue, modify, auth, wait), for stanza errors.</summary>
    /// <example>cancel</example>
    public string? XmppErrorType { get; init; }

    /// <summary>The text the remote entity attached to the error, if any.</summary>
    /// <example>null</example>
    public string? XmppText { get; init; }

    /// <summary>For <c>session-unavailable</c>: the session's state.</summary>
    /// <example>reconnecting</example>
    public string? SessionState { get; init; }

    /// <summary>
    /// For <c>outbound-queue-full</c> and a session that is reconnecting: seconds to wait before retrying, as the
    /// <c>Retry-After</c> header says. A batch's refused messages have only this field (no header per message).
    /// </summary>
    /// <example>2</example>
    public long? RetryAfter { get; init; }

    /// <summary>For <c>validation-failed</c>: what is wrong with each field, keyed by its JSON name.</summary>
    /// <example>{"to":["is not a valid JID: JID domainpart is empty (RFC 7622 §3.2)"]}</example>
    public IReadOnlyDictionary<string, string[]>? Errors { get; init; }

    /// <summary>For <c>replay-gap</c>: the oldest event id the event log still keeps.</summary>
    /// <example>250</example>
    public long? OldestAvailableEventId { get; init; }
}
