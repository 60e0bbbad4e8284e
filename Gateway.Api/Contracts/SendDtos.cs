namespace Gateway.Api.Contracts;

/// <summary>A message to send (RFC 6121 §5). At least one of body, subject and payloads.</summary>
public sealed record PostMessageRequest
{
    /// <summary>The recipient, a bare or full JID.</summary>
    /// <example>bob@example.com</example>
    public required string To { get; init; }

    /// <summary>chat (default), normal, groupchat or headline.</summary>
    /// <example>chat</example>
    public string? Type { get; init; }

    /// <summary>The text of the message.</summary>
    /// <example>Your order has shipped.</example>
    public string? Body { get; init; }

    /// <example>Order 42</example>
    public string? Subject { get; init; }

    /// <summary>Conversation thread id (RFC 6121 §5.2.5).</summary>
    /// <example>order-42</example>
    public string? Thread { get; init; }

    /// <summary>xml:lang of the message.</summary>
    /// <example>en</example>
    public string? Lang { get; init; }

    /// <summary>
    /// Extension elements, each exactly one namespaced XML element as a string (at most 32, 32 KiB each). No DTDs,
    /// comments or processing instructions; no elements of <c>jabber:client</c> or of the stream level. Not an extension
    /// a typed field of this request sets (400): use the typed field.
    /// </summary>
    /// <example>["&lt;order xmlns='urn:example:shop' id='42' status='shipped'/&gt;"]</example>
    public IReadOnlyList<string>? Payloads { get; init; }

    /// <summary>Stanza id, 1-128 characters; generated when absent.</summary>
    /// <example>order-42-shipped</example>
    public string? Id { get; init; }

    /// <summary>
    /// XEP-0085 chat state: active, composing, paused, inactive or gone. A message may carry only a chat state (no
    /// body); such a message asks for no receipt.
    /// </summary>
    /// <example>active</example>
    public string? ChatState { get; init; }

    /// <summary>XEP-0308: this message corrects the one with this id (the body replaces its body; a body is required).</summary>
    /// <example>order-42-shipped</example>
    public string? Replaces { get; init; }

    /// <summary>
    /// XEP-0424: retracts the message with this id. The gateway adds the fallback body (unless you give one), the XEP-0428
    /// fallback indication and a store hint.
    /// </summary>
    /// <example>order-42-shipped</example>
    public string? Retracts { get; init; }

    /// <summary>XEP-0461: this message replies to another (a body is required).</summary>
    public ReplyToDto? ReplyTo { get; init; }

    /// <summary>XEP-0444: the complete set of your reactions to a message. A reactions-only message has no body.</summary>
    public ReactionsDto? Reactions { get; init; }

    /// <summary>XEP-0066: a URL sent with the message. The body defaults to the URL, as clients expect for inline media.</summary>
    public OobDto? Oob { get; init; }

    /// <summary>XEP-0333: the message with this id (and the earlier ones of the conversation) was displayed. Usually alone, with type chat.</summary>
    /// <example>b3JkZXItNDI</example>
    public string? Displayed { get; init; }

    /// <summary>XEP-0280 §9: keep this message from being copied to the account's other clients (private + no-copy hint).</summary>
    /// <example>false</example>
    public bool? NoCopy { get; init; }

    /// <summary>
    /// Whether a message with a body asks the recipient's client to report back: a XEP-0184 receipt request and, on a
    /// chat message, the XEP-0333 markable flag, so its status can reach delivered and displayed. false sends neither:
    /// the status ends at acked, and the server has less to parse, archive and route for each message (for
    /// notifications nobody's client answers). Absent: the session's <c>requestReceipts</c> (default true). Not false
    /// with a raw receipt request or markable payload (400).
    /// </summary>
    /// <example>true</example>
    public bool? RequestReceipts { get; init; }
}

/// <summary>
/// A presence to send (RFC 6121 §3, §4): availability (no <c>to</c>: broadcast to contacts; with <c>to</c>:
/// directed) or a subscription request or answer (<c>subscribe</c>, <c>subscribed</c>, <c>unsubscribe</c>,
/// <c>unsubscribed</c>, which need <c>to</c>).
/// </summary>
public sealed record PostPresenceRequest
{
    /// <summary>Recipient; absent for a broadcast. Required for subscription types.</summary>
    /// <example>bob@example.com</example>
    public string? To { get; init; }

    /// <summary>available (default), unavailable, subscribe, subscribed, unsubscribe or unsubscribed.</summary>
    /// <example>available</example>
    public string? Type { get; init; }

    /// <summary>away, chat, dnd or xa; only with available.</summary>
    /// <example>away</example>
    public string? Show { get; init; }

    /// <example>In a meeting until 3 pm</example>
    public string? Status { get; init; }

    /// <summary>-128..127 (RFC 6121 §4.7.2.3).</summary>
    /// <example>5</example>
    public int? Priority { get; init; }

    /// <example>en</example>
    public string? Lang { get; init; }

    /// <summary>Extension elements, under the same rules as a message's payloads.</summary>
    /// <example>["&lt;x xmlns='vcard-temp:x:update'/&gt;"]</example>
    public IReadOnlyList<string>? Payloads { get; init; }

    /// <summary>Stanza id, 1-128 characters; generated when absent.</summary>
    /// <example>presence-1</example>
    public string? Id { get; init; }
}

/// <summary>
/// An IQ exchange. With type <c>get</c> or <c>set</c>: a request the gateway sends, returning the reply.
/// With type <c>result</c> or <c>error</c>: the answer to a request this session received (an
/// <c>iq-request</c> event), by its <c>id</c>.
/// </summary>
public sealed record PostIqRequest
{
    /// <summary>get, set (a request to send), result or error (an answer to a received request).</summary>
    /// <example>get</example>
    public required string Type { get; init; }

    /// <summary>The addressee: absent means the account's own server. For an answer: the requester (the event's <c>from</c>).</summary>
    /// <example>bob@example.com/phone</example>
    public string? To { get; init; }

    /// <summary>Required for result and error: the id of the request answered. For get/set: generated when absent.</summary>
    /// <example>null</example>
    public string? Id { get; init; }

    /// <summary>The child element as XML: the query (required for get/set) or the result's content (optional).</summary>
    /// <example>&lt;query xmlns='jabber:iq:version'/&gt;</example>
    public string? Payload { get; init; }

    /// <summary>get/set only: how long to wait for the reply, 1-120 s (default: the pool's IQ timeout, 30 s).</summary>
    /// <example>10</example>
    public int? TimeoutSeconds { get; init; }

    /// <summary>Required for type error: the condition (and optionally type and text) to answer with.</summary>
    public StanzaErrorDto? Error { get; init; }
}

/// <summary>A stanza the gateway accepted for sending.</summary>
/// <param name="Id">The stanza id: yours, or the generated one.</param>
/// <param name="AckedByServer">True when the server acknowledged it (XEP-0198), which only <c>?wait=server</c> waits for.</param>
public sealed record StanzaAcceptedDto(string Id, bool AckedByServer);

/// <summary>Validates idempotency keys, the same for the REST <c>Idempotency-Key</c> header and the hub's <c>idempotencyKey</c>.</summary>
public static class IdempotencyKeys
{
    /// <summary>The request header carrying the key.</summary>
    public const string Header = "Idempotency-Key";

    /// <summary>What is wrong with the key, or null when it is valid (or absent): 1-128 printable ASCII characters.</summary>
    public static string? Validate(string? key)
    {
        if (key is null)
        {
            return null;
        }

        if (key.Length is < 1 or > 128)
        {
            return "must be 1-128 characters";
        }

        foreach (var c in key)
        {
            if (c is < '\u0021' or > '\u007e')
            {
                return "must be printable ASCII (no spaces or control characters)";
            }
        }

        return null;
    }
}
