using Gateway.Api.Contracts;

namespace Gateway.Api.Hubs;

// Requests and answers of the hub's methods. They mirror the REST request bodies (Contracts/SendDtos.cs) field for
// field, so a client can move between the two without reshaping its data, and HubRequests validates them with the
// REST API's RequestMapper. Differences: `wait` is a field here (a query parameter in REST), and IQ requests and
// answers are separate methods (one endpoint in REST).

/// <summary>A message to send (RFC 6121 §5).</summary>
public sealed record SendMessageRequest
{
    /// <summary>Recipient JID (bare or full). Required.</summary>
    public string? To { get; init; }

    /// <summary>chat (default), normal, groupchat or headline.</summary>
    public string? Type { get; init; }

    public string? Body { get; init; }

    public string? Subject { get; init; }

    public string? Thread { get; init; }

    /// <summary>xml:lang of the stanza.</summary>
    public string? Lang { get; init; }

    /// <summary>Extension elements, each one namespaced XML element as a string (at most 32, 32 KiB each).</summary>
    public IReadOnlyList<string>? Payloads { get; init; }

    /// <summary>Stanza id, 1-128 characters; generated when absent.</summary>
    public string? Id { get; init; }

    /// <summary>queued (default): return once queued; server: once the server acknowledged it (XEP-0198).</summary>
    public string? Wait { get; init; }

    /// <summary>
    /// Optional, 1-128 printable ASCII characters: a retry with the same key returns the first attempt's answer and sends
    /// nothing again (the REST API's <c>Idempotency-Key</c> header).
    /// </summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>XEP-0085 chat state: active, composing, paused, inactive or gone (alone, without a body, too).</summary>
    public string? ChatState { get; init; }

    /// <summary>XEP-0308: corrects the message with this id (a body is required).</summary>
    public string? Replaces { get; init; }

    /// <summary>XEP-0424: retracts the message with this id (fallback body, fallback indication and store hint added).</summary>
    public string? Retracts { get; init; }

    /// <summary>XEP-0461: replies to a message (a body is required).</summary>
    public ReplyToDto? ReplyTo { get; init; }

    /// <summary>XEP-0444: the complete set of your reactions to a message (empty removes them all).</summary>
    public ReactionsDto? Reactions { get; init; }

    /// <summary>XEP-0066: a URL sent with the message (the body defaults to it).</summary>
    public OobDto? Oob { get; init; }

    /// <summary>XEP-0333: the message with this id was displayed.</summary>
    public string? Displayed { get; init; }

    /// <summary>XEP-0280 §9: keep this message from being copied to the account's other clients.</summary>
    public bool? NoCopy { get; init; }

    /// <summary>
    /// Whether a message with a body asks the recipient's client for delivery and display reports (absent: the
    /// session's <c>requestReceipts</c>, default true); false: the status ends at acked.
    /// </summary>
    public bool? RequestReceipts { get; init; }
}

/// <summary>A presence to send (RFC 6121 §4).</summary>
public sealed record SendPresenceRequest
{
    /// <summary>Recipient; absent for a broadcast presence.</summary>
    public string? To { get; init; }

    /// <summary>available (default), unavailable, subscribe, subscribed, unsubscribe or unsubscribed.</summary>
    public string? Type { get; init; }

    /// <summary>away, chat, dnd or xa; absent for plain available.</summary>
    public string? Show { get; init; }

    public string? Status { get; init; }

    /// <summary>-128..127.</summary>
    public int? Priority { get; init; }

    public string? Lang { get; init; }

    public IReadOnlyList<string>? Payloads { get; init; }

    /// <summary>Stanza id, 1-128 characters; generated when absent.</summary>
    public string? Id { get; init; }

    /// <summary>queued (default) or server; see <see cref="SendMessageRequest.Wait"/>.</summary>
    public string? Wait { get; init; }
}

/// <summary>An IQ request to send; the hub returns the reply.</summary>
public sealed record SendIqRequest
{
    /// <summary>Addressee; absent means the account's own server.</summary>
    public string? To { get; init; }

    /// <summary>get (default) or set.</summary>
    public string? Type { get; init; }

    /// <summary>The query element as XML. Required.</summary>
    public string? Payload { get; init; }

    /// <summary>How long to wait for the reply, 1..120 s; default the pool's IQ timeout.</summary>
    public int? TimeoutSeconds { get; init; }
}

/// <summary>The answer to an IQ request received as an <see cref="EventKinds.IqRequest"/> event.</summary>
public sealed record AnswerIqRequest
{
    /// <summary>The request's id (<c>data.iq.id</c> of the event). Required.</summary>
    public string? Id { get; init; }

    /// <summary>The requester (<c>data.iq.from</c> of the event); optional, checked against the request when given.</summary>
    public string? To { get; init; }

    /// <summary>result (default) or error.</summary>
    public string? Type { get; init; }

    /// <summary>The result's payload as XML; absent for an empty result.</summary>
    public string? Payload { get; init; }

    /// <summary>Required when <see cref="Type"/> is error; the type may be left empty for the condition's default.</summary>
    public StanzaErrorDto? Error { get; init; }
}

/// <summary>A subscription's starting point.</summary>
/// <param name="SessionId">The session subscribed to.</param>
/// <param name="State">Its state when the subscription began.</param>
/// <param name="LastEventId">
/// Every event with a greater id is delivered to this connection, exactly once and in order (missed ones are read
/// back from the event log); events up to this id are not. <c>Subscribe</c> starts at the session's latest event,
/// <c>SubscribeAfter</c> at the id it was given: pass the last event id you handled to resume without gap or repeat.
/// </param>
public sealed record SubscriptionDto(string SessionId, string State, long LastEventId);

/// <summary>Why the gateway ended a subscription, and where to resume it.</summary>
/// <param name="SessionId">The session whose subscription ended; the connection's other subscriptions go on.</param>
/// <param name="Reason">
/// <c>slow-consumer</c>: the connection did not read this session's events as fast as they came, and more were waiting
/// than <c>Gateway:Hub:SubscriptionQueueEvents</c> / <c>SubscriptionQueueBytes</c> allow. Server-sent event streams
/// also end with <c>replay-gap</c>, <c>replay-failed</c>, <c>session-removed</c>, <c>key-revoked</c> and
/// <c>shutting-down</c> (see <see cref="SubscriptionEndReasons"/>).
/// </param>
/// <param name="LastEventId">
/// The last event id the subscription delivered (this message arrives after it). <c>SubscribeAfter(sessionId,
/// lastEventId)</c> delivers everything after it, exactly once and in order.
/// </param>
public sealed record SubscriptionEndedDto(string SessionId, string Reason, long LastEventId);

/// <summary>The reasons of <see cref="SubscriptionEndedDto"/>.</summary>
public static class SubscriptionEndReasons
{
    /// <summary>The subscriber fell further behind than its queue allows.</summary>
    public const string SlowConsumer = "slow-consumer";

    /// <summary>The event log no longer keeps the next event (retention dropped it); event streams only.</summary>
    public const string ReplayGap = "replay-gap";

    /// <summary>The event log could not be read; resume after the last event id. Event streams only.</summary>
    public const string ReplayFailed = "replay-failed";

    /// <summary>The session was removed; event streams only.</summary>
    public const string SessionRemoved = "session-removed";

    /// <summary>The API key that opened the stream was removed or changed; event streams only.</summary>
    public const string KeyRevoked = "key-revoked";

    /// <summary>The gateway is shutting down; resume after the last event id. Event streams only.</summary>
    public const string ShuttingDown = "shutting-down";
}
