namespace Gateway.Xmpp.Pool;

/// <summary>
/// The connection manager: owns every XMPP session, keeps them online in the background (reconnecting
/// with backoff) and publishes what they receive. Sessions belong to a tenant; every lookup is scoped
/// by tenant, so one tenant can never see or use another's sessions.
/// </summary>
public interface ISessionPool
{
    /// <summary>
    /// Creates a session and waits until it is online the first time.
    /// </summary>
    /// <exception cref="SaslFailedException">Wrong credentials (or another SASL refusal); the session is not kept.</exception>
    /// <exception cref="XmppTlsException">TLS could not be established with a trusted certificate; not kept.</exception>
    /// <exception cref="XmppConnectionException">The server could not be reached; not kept.</exception>
    /// <exception cref="XmppTimeoutException">Connecting took longer than allowed; not kept.</exception>
    /// <exception cref="SessionLimitException">The tenant or the pool has reached its session limit.</exception>
    /// <exception cref="SessionConflictException">The tenant already has a session with this id.</exception>
    Task<SessionInfo> CreateAsync(string tenant, SessionSpec spec, CancellationToken cancellationToken = default);

    /// <summary>The tenant's sessions, ordered by id.</summary>
    IReadOnlyList<SessionInfo> List(string tenant);

    /// <summary>The session, or null when the tenant has none with this id.</summary>
    IManagedSession? Find(string tenant, string sessionId);

    /// <summary>
    /// Moves the session to new settings without losing anything it queued or receives (see
    /// <see cref="SessionPool.UpdateAsync"/>); null when the tenant has no such session.
    /// </summary>
    /// <exception cref="SaslFailedException">A new password (or other login setting) was refused; the session runs on as it was.</exception>
    /// <exception cref="XmppConnectionException">The new host or port could not be reached; the session runs on as it was.</exception>
    /// <exception cref="SessionBusyException">Another change of the session, or its creation, is under way.</exception>
    Task<SessionInfo?> UpdateAsync(string tenant, string sessionId, SessionSpecChange change, CancellationToken cancellationToken = default);

    /// <summary>Stops the session gracefully (unavailable presence, stream close) and forgets it. False when unknown.</summary>
    Task<bool> RemoveAsync(string tenant, string sessionId, CancellationToken cancellationToken = default);

    /// <summary>Summary for readiness checks: whether the pool runs, and how many sessions are in each state.</summary>
    PoolHealth GetHealth();


    /// <summary>
    /// The session's journaled events after <paramref name="afterEventId"/>, oldest first (for replay to a
    /// subscriber that missed them): at most <paramref name="limit"/> events and about <paramref name="maxBytes"/> of
    /// stored payload, and at least one when there is one. <see cref="Persistence.EventPage.Gap"/> says when some were
    /// already dropped by retention.
    /// </summary>
    /// <remarks>The default implementation (for test doubles) has no history.</remarks>
    Task<Persistence.EventPage> ReadHistoryAsync(string tenant, string sessionId, long afterEventId, int limit, long maxBytes, CancellationToken cancellationToken = default) =>
        Task.FromResult(new Persistence.EventPage([], 0, 0, Gap: false));

    /// <summary>
    /// Every event of every session, in order per session, from now on; each is in the event log
    /// (<see cref="ReadHistoryAsync(string, string, long, int, long, CancellationToken)"/>) before it is handed out here. One reader at a time (the
    /// gateway's dispatcher); events are buffered up to a bound, then the oldest undelivered are dropped
    /// with a logged warning.
    /// </summary>
    IAsyncEnumerable<SessionEvent> ReadEventsAsync(CancellationToken cancellationToken = default);
}

/// <summary>One pooled session, as the API uses it. Valid until removed; survives reconnects.</summary>
public interface IManagedSession : IStanzaSender
{
    SessionInfo Info { get; }

    /// <summary>The rooms (XEP-0045) the session is in: joined, left and talked to here, entered again by the session on every new stream.</summary>
    /// <remarks>The default implementation (for test doubles) is in none and can join none.</remarks>
    IRoomManager Rooms => Pool.Rooms.NoRooms.Instance;

    /// <summary>
    /// Queues a stanza for sending. Completes when the stanza is queued (<see cref="DeliveryWait.Queued"/>),
    /// or once the server acknowledged it through XEP-0198 (<see cref="DeliveryWait.Server"/>).
    /// </summary>
    /// <exception cref="OutboundQueueFullException">The session's outbound queue is full; retry after <see cref="OutboundQueueFullException.RetryAfter"/>.</exception>
    /// <exception cref="SessionUnavailableException">The session is stopped or failed, or (for <see cref="DeliveryWait.Server"/>) the server offers no XEP-0198.</exception>
    /// <exception cref="XmppTimeoutException">With <see cref="DeliveryWait.Server"/>: no acknowledgement in time.</exception>
    Task<SendReceipt> EnqueueAsync(Stanza stanza, DeliveryWait wait, CancellationToken cancellationToken = default);

    /// <summary>
    /// Like <see cref="EnqueueAsync(Stanza, DeliveryWait, CancellationToken)"/>, idempotent per key: a retry with the
    /// same key returns the first attempt's receipt and sends nothing again (the stanza id derives from the key).
    /// </summary>
    /// <remarks>The default implementation (for test doubles) ignores the key.</remarks>
    Task<SendReceipt> EnqueueAsync(Stanza stanza, DeliveryWait wait, string? idempotencyKey, CancellationToken cancellationToken = default) =>
        EnqueueAsync(stanza, wait, cancellationToken);

    /// <summary>
    /// Like <see cref="EnqueueAsync(Stanza, DeliveryWait, string?, CancellationToken)"/>, choosing whether a message
    /// with a body asks the recipient's client for delivery and display reports (<see cref="RecipientReports"/>).
    /// </summary>
    /// <remarks>The default implementation (for test doubles) ignores <paramref name="reports"/>. The other overloads send with <see cref="RecipientReports.SessionDefault"/>.</remarks>
    Task<SendReceipt> EnqueueAsync(Stanza stanza, DeliveryWait wait, string? idempotencyKey, RecipientReports reports, CancellationToken cancellationToken = default) =>
        EnqueueAsync(stanza, wait, idempotencyKey, cancellationToken);

    /// <summary>
    /// The delivery status of a message this session sent, as tracked in memory (the session's most recent messages),
    /// or null when not tracked. <see cref="FindMessageStatusAsync"/> also asks the journal.
    /// </summary>
    /// <remarks>The default implementation (for test doubles) knows no message.</remarks>
    MessageStatus? GetMessageStatus(string messageId) => null;

    /// <summary>
    /// The delivery status of a message this session sent: tracked in memory, else the last status the journal holds
    /// (a message sent before a gateway restart, or forgotten beyond the tracked capacity). Null when neither knows it.
    /// </summary>
    /// <remarks>The default implementation (for test doubles) answers what <see cref="GetMessageStatus"/> answers.</remarks>
    Task<MessageStatus?> FindMessageStatusAsync(string messageId, CancellationToken cancellationToken = default) => Task.FromResult(GetMessageStatus(messageId));

    /// <summary>
    /// Answers an IQ request this session received and published as <see cref="IqRequestReceived"/>. False when
    /// it was already answered (by an earlier call or by the timeout's <c>service-unavailable</c>).
    /// </summary>
    Task<bool> AnswerIqAsync(Iq answer, CancellationToken cancellationToken = default);

    /// <summary>The account features: contacts' presence, server capabilities, blocklist, vCard, avatar, file upload.</summary>
    /// <remarks>The default implementation (for test doubles) has none.</remarks>
    ISessionAccount Account => throw new NotSupportedException("This session offers no account features.");

    /// <summary>Drops the TCP connection as a network failure would; the session reconnects on its own. For tests and operators.</summary>
    void AbortConnection();

    /// <summary>Reads the account's archive and rooms' archives (XEP-0313); null when the session cannot (test doubles).</summary>
    IArchiveHistory? History => null;
}

/// <summary>What a send waits for before returning.</summary>
public enum DeliveryWait
{
    /// <summary>Return once the stanza is in the session's outbound queue.</summary>
    Queued,

    /// <summary>Return once the server acknowledged the stanza (XEP-0198 &lt;a/&gt;).</summary>
    Server,
}

/// <summary>
/// Whether a message with a body asks the recipient's client to report back. Either way it gets a delivery status
/// (queued, sent, acked); only a requested report can take it to delivered and displayed.
/// </summary>
public enum RecipientReports
{
    /// <summary>
    /// What the session does unless told otherwise: <see cref="SessionSpec.RequestReceipts"/>, else
    /// <see cref="SessionPoolOptions.RequestReceipts"/> (true: <see cref="Requested"/>).
    /// </summary>
    SessionDefault,

    /// <summary>
    /// A XEP-0184 receipt request, and on a chat message the XEP-0333 markable flag: the status can reach delivered
    /// and displayed, when the recipient's client answers.
    /// </summary>
    Requested,

    /// <summary>
    /// Neither element (a sender may leave out both: XEP-0184, XEP-0333): the status ends at acked. The server has two
    /// elements fewer to parse, archive and route for each message, which matters to a sender of many.
    /// </summary>
    None,
}

/// <summary>What happened to a sent stanza, as far as the caller waited.</summary>
public sealed record SendReceipt(string StanzaId, bool AckedByServer);
