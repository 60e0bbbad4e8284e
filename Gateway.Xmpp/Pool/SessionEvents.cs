namespace Gateway.Xmpp.Pool;

/// <summary>
/// Something that happened on a pooled session. <see cref="EventId"/> increases by one per event and per
/// session, so a subscriber can tell whether it missed any.
/// </summary>
public abstract record SessionEvent(string Tenant, string SessionId, long EventId, DateTimeOffset ReceivedAt);

/// <summary>A message arrived.</summary>
public sealed record MessageReceived(string Tenant, string SessionId, long EventId, DateTimeOffset ReceivedAt, Message Message)
    : SessionEvent(Tenant, SessionId, EventId, ReceivedAt)
{
    /// <summary>
    /// The id the account's own archive gave the message (XEP-0359 stanza-id by the account), when it has one: a store
    /// indexes it so that a repeat delivered long after (beyond what memory holds) is still recognised. Not part of
    /// the event's payload: a store keeps it beside the event (and gives it back), an in-memory journal with the event.
    /// </summary>
    public string? ArchiveId { get; init; }

    /// <summary>
    /// Set when the message is a XEP-0280 carbon copy, unwrapped: another client of the account received it
    /// (<see cref="CarbonDirection.Received"/>) or sent it (<see cref="CarbonDirection.Sent"/>, then <see cref="Message"/>
    /// is from the account's other resource to someone else). Null for a message addressed to this session.
    /// </summary>
    public CarbonDirection? Carbon { get; init; }
}

/// <summary>A presence stanza arrived (availability, subscription request or answer, error).</summary>
public sealed record PresenceReceived(string Tenant, string SessionId, long EventId, DateTimeOffset ReceivedAt, Presence Presence)
    : SessionEvent(Tenant, SessionId, EventId, ReceivedAt);

/// <summary>The server pushed a roster change (RFC 6121 §2.1.6); already acknowledged.</summary>
public sealed record RosterPushed(string Tenant, string SessionId, long EventId, DateTimeOffset ReceivedAt, RosterItem Item)
    : SessionEvent(Tenant, SessionId, EventId, ReceivedAt);

/// <summary>
/// An IQ get/set the gateway does not answer itself. Answer it with <see cref="IManagedSession.AnswerIqAsync"/>
/// before <see cref="AnswerBy"/>; after that the gateway answers <c>service-unavailable</c>.
/// </summary>
public sealed record IqRequestReceived(string Tenant, string SessionId, long EventId, DateTimeOffset ReceivedAt, Iq Request, DateTimeOffset AnswerBy)
    : SessionEvent(Tenant, SessionId, EventId, ReceivedAt);

/// <summary>The session changed state.</summary>
public sealed record SessionStateChanged(string Tenant, string SessionId, long EventId, DateTimeOffset ReceivedAt, SessionState State, string? Reason, string? ReasonText)
    : SessionEvent(Tenant, SessionId, EventId, ReceivedAt);

/// <summary>
/// The server pushed a blocklist change (XEP-0191 §3.3-3.5), made by this or another resource of the account:
/// <see cref="Jids"/> blocked, or unblocked; an unblock without JIDs unblocked everyone. Already acknowledged.
/// </summary>
public sealed record BlocklistChanged(string Tenant, string SessionId, long EventId, DateTimeOffset ReceivedAt, bool Blocked, System.Collections.Immutable.ImmutableArray<Jid> Jids)
    : SessionEvent(Tenant, SessionId, EventId, ReceivedAt);
