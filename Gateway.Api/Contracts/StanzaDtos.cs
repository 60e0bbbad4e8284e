using System.Text.Json.Serialization;

namespace Gateway.Api.Contracts;

/// <summary>
/// A stanza error (RFC 6120 §8.3) as JSON: the defined condition and its type, optional text.
/// </summary>
/// <param name="Type">cancel, continue, modify, auth or wait.</param>
/// <param name="Condition">The RFC 6120 §8.3.3 condition, e.g. <c>item-not-found</c>.</param>
/// <param name="Text">Human-readable text from the entity that generated the error.</param>
public sealed record StanzaErrorDto(string Type, string Condition, string? Text);

/// <summary>
/// A message stanza as JSON. Extension elements travel as XML strings in <see cref="Payloads"/>, untouched: all of them,
/// the ones the gateway also reads into typed fields (chat state, correction, retraction, reply, reactions, out-of-band
/// data, displayed marker) included, so a client reading payloads loses nothing.
/// </summary>
public sealed record MessageDto
{
    /// <summary>Stanza id.</summary>
    /// <example>b3JkZXItNDI</example>
    public string? Id { get; init; }

    /// <summary>Sender (full JID as stamped by the server).</summary>
    /// <example>bob@example.com/phone</example>
    public string? From { get; init; }

    /// <summary>Recipient.</summary>
    /// <example>alice@example.com</example>
    public string? To { get; init; }

    /// <summary>normal, chat, groupchat, headline or error.</summary>
    /// <example>chat</example>
    public string Type { get; init; } = "normal";

    /// <example>Hello from the gateway</example>
    public string? Body { get; init; }

    public string? Subject { get; init; }

    public string? Thread { get; init; }

    /// <summary>xml:lang of the stanza.</summary>
    public string? Lang { get; init; }

    /// <summary>Extension elements (each one XML element as a string), in document order.</summary>
    /// <example>["&lt;active xmlns='http://jabber.org/protocol/chatstates'/&gt;"]</example>
    public IReadOnlyList<string> Payloads { get; init; } = [];

    /// <summary>Present when <see cref="Type"/> is error.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public StanzaErrorDto? Error { get; init; }

    /// <summary>
    /// XEP-0280: set when this is a carbon copy of a message the account's other client <c>received</c> (from someone
    /// to that client) or <c>sent</c> (from that client to someone: <c>from</c> is the account). Absent otherwise.
    /// </summary>
    /// <example>null</example>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Carbon { get; init; }

    /// <summary>XEP-0085 chat state: active, composing, paused, inactive or gone. Absent when none.</summary>
    /// <example>active</example>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ChatState { get; init; }

    /// <summary>XEP-0308: the id of the message this one corrects. Absent when none.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Replaces { get; init; }

    /// <summary>XEP-0424: the id of the message this one retracts (its body is then only a fallback). Absent when none.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Retracts { get; init; }

    /// <summary>XEP-0461: what this message replies to. Absent when none.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ReplyToDto? ReplyTo { get; init; }

    /// <summary>XEP-0444: the sender's complete set of reactions to a message (empty: all removed). Absent when none.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ReactionsDto? Reactions { get; init; }

    /// <summary>XEP-0066: a URL sent with the message. Absent when none.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public OobDto? Oob { get; init; }

    /// <summary>XEP-0333: the id of the message the sender displayed. Absent when none.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Displayed { get; init; }

    /// <summary>
    /// XEP-0184 receipt or XEP-0333 received marker: the id of the message that reached the sender's client. Absent when
    /// none. (For messages this session sent, the same news also arrives as a <c>message-status</c> event.)
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Received { get; init; }

    /// <summary>
    /// The id the account's archive (or, in room history, the room's archive) gave the message (XEP-0359 stanza-id,
    /// XEP-0313 result id): stable, unique per archive, usable to deduplicate and to find the message in history.
    /// Only when the server is known to stamp it (it announces urn:xmpp:sid:0), so a sender cannot forge it.
    /// </summary>
    /// <example>5f3b8c1e-7a2d-4c8e-9f10-2b6d4e8a9c01</example>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? StanzaId { get; init; }

    /// <summary>
    /// When the message was originally sent or archived, for one delivered late (XEP-0203): from offline storage, or
    /// the archive's timestamp in history. Absent for a message delivered as it was sent.
    /// </summary>
    /// <example>2025-01-31T09:29:12Z</example>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? Delay { get; init; }
}

/// <summary>A presence stanza as JSON.</summary>
public sealed record PresenceDto
{
    public string? Id { get; init; }

    /// <example>bob@example.com/phone</example>
    public string? From { get; init; }

    public string? To { get; init; }

    /// <summary>available, unavailable, subscribe, subscribed, unsubscribe, unsubscribed, probe or error.</summary>
    /// <example>available</example>
    public string Type { get; init; } = "available";

    /// <summary>away, chat, dnd or xa; absent for plain available.</summary>
    /// <example>away</example>
    public string? Show { get; init; }

    /// <example>In a meeting</example>
    public string? Status { get; init; }

    /// <summary>-128..127.</summary>
    public int? Priority { get; init; }

    public string? Lang { get; init; }

    public IReadOnlyList<string> Payloads { get; init; } = [];

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public StanzaErrorDto? Error { get; init; }
}

/// <summary>An IQ stanza as JSON.</summary>
public sealed record IqDto
{
    public string? Id { get; init; }

    public string? From { get; init; }

    public string? To { get; init; }

    /// <summary>get, set, result or error.</summary>
    /// <example>result</example>
    public string Type { get; init; } = "get";

    /// <summary>The child element as XML (the query or its result); null for an empty result.</summary>
    /// <example>&lt;query xmlns='jabber:iq:version'&gt;&lt;name&gt;Prosody&lt;/name&gt;&lt;version&gt;0.12.3&lt;/version&gt;&lt;/query&gt;</example>
    public string? Payload { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public StanzaErrorDto? Error { get; init; }
}

/// <summary>A roster item (RFC 6121 §2.1.2).</summary>
/// <param name="Jid">The contact's bare JID.</param>
/// <param name="Name">The handle the user gave the contact.</param>
/// <param name="Subscription">none, to, from, both, or remove (in pushes only).</param>
/// <param name="PendingOut">An outbound subscription request awaits the contact's answer.</param>
/// <param name="Groups">Groups the contact is in.</param>
public sealed record RosterItemDto(string Jid, string? Name, string Subscription, bool PendingOut, IReadOnlyList<string> Groups);
