using System.Collections.Immutable;
using System.Xml.Linq;
using Gateway.Xmpp.Client;
using Gateway.Xmpp.Diagnostics;
using Gateway.Xmpp.Negotiation.Sasl;
using Gateway.Xmpp.Pool.Journal;
using Gateway.Xmpp.Pool.Persistence;
using Gateway.Xmpp.Pool.Rooms;
using Gateway.Xmpp.StreamManagement;
using Microsoft.Extensions.Logging;

namespace Gateway.Xmpp.Pool;

/// <summary>
/// One pooled session: a <see cref="ReconnectingXmppClient"/> for the account, with the gateway's parts on every
/// connection — IQ forwarding, the archive catch-up, the inbound pipeline, presence, the outbound sender — and the
/// session's journal, outbox, delivery statuses and idempotency keys, which outlive every connection. This type only
/// wires them together and answers the API; each part does one job.
/// </summary>
internal sealed class ManagedSession : IManagedSession
{
    private readonly SessionSpec _spec;
    private readonly SessionPoolOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SessionJournal _journal;
    private readonly ReconnectingXmppClient _client;
    private readonly DeliveryTracker _delivery;
    private readonly OutboundQueue _outbound;
    private readonly InboundDeduplicator _deduplicator;
    private readonly StanzaIdTrust _stanzaIds;
    private readonly ArchiveCatchUp _archive;
    private readonly InboundPipeline _inbound;
    private readonly IqRequestForwarder _iqRequests;
    private readonly SessionPresence _presence;
    private readonly RoomTable _roomTable;
    private readonly RoomManager _rooms;
    private readonly IdempotencyWindow<Task<SendReceipt>> _idempotency;
    private readonly SessionSettings _settings;
    private readonly DateTimeOffset _createdAt;
    private Jid? _boundJid;
    private Task _failed = Task.CompletedTask;
    private volatile bool _replacing;

    /// <param name="tenant">The owning tenant.</param>
    /// <param name="id">The session id, unique within the tenant.</param>
    /// <param name="spec">The account and where to connect.</param>
    /// <param name="options">The pool's settings.</param>
    /// <param name="keepAlive">The pool's keepalive timer.</param>
    /// <param name="keyDerivations">The pool's bound on SCRAM key derivations at once.</param>
    /// <param name="loggerFactory">Where it logs.</param>
    /// <param name="time">The clock.</param>
    /// <param name="createdAt">When the session was first created.</param>
    /// <param name="journal">The session's handle into the pool's journal (its event numbering continues there).</param>
    /// <param name="durableOutbox">Whether accepted stanzas are stored until acknowledged (a restart resends them).</param>
    /// <param name="archiveCursor">Where the journal says a restored session's archive stands; null for a new one.</param>
    /// <param name="restored">Restored from an earlier process: its first connection catches up from the archive.</param>
    /// <param name="journaled">What the journal can be asked (a message's last status, whether a received message is journaled); null when there is no journal to ask.</param>
    /// <param name="budget">The tenant's bytes for queued and unacknowledged stanzas, shared by its sessions; null for no limit.</param>
    /// <param name="roomStore">Where the rooms the session is in are kept for a restart; null: nowhere.</param>
    /// <param name="metrics">The pool's instruments; null: none recorded.</param>
    public ManagedSession(string tenant, string id, SessionSpec spec, SessionPoolOptions options, KeepAliveTicker keepAlive, KeyDerivationLimiter keyDerivations, ILoggerFactory loggerFactory, TimeProvider time, DateTimeOffset createdAt, SessionJournal journal, bool durableOutbox, string? archiveCursor = null, bool restored = false, JournalLookups? journaled = null, ByteBudget? budget = null, IRoomStore? roomStore = null, XmppMetrics? metrics = null)
    {
        Tenant = tenant;
        Id = id;
        _spec = spec;
        _options = options;
        _time = time;
        _createdAt = createdAt;
        _journal = journal;
        _logger = loggerFactory.CreateLogger<SessionPool>();
        _idempotency = new IdempotencyWindow<Task<SendReceipt>>(options.IdempotencyWindow, options.MessageStatusCapacity, time);
        _delivery = new DeliveryTracker(new MessageStatusTracker(options.MessageStatusCapacity, time), journal, time, journaled?.Status);
        _stanzaIds = new StanzaIdTrust(spec.Jid, options.IqTimeout, _logger, tenant, id, trustedBefore: archiveCursor is not null);
        _deduplicator = new InboundDeduplicator(spec.Jid, stanzaIds: _stanzaIds);
        var queries = new ArchiveQueries(spec.Jid);
        _archive = new ArchiveCatchUp(journal, new MessagePublisher(journal, _deduplicator, time, journaled?.ReceivedArchiveId), _deduplicator, queries, archiveCursor, restored, options.IqTimeout, _logger, time);
        _client = new ReconnectingXmppClient(
            new ReconnectingClientOptions
            {
                Connection = ClientOptions(spec, options, keyDerivations),
                ReconnectBaseDelay = options.ReconnectBaseDelay,
                ReconnectMaxDelay = options.ReconnectMaxDelay,
                PolicyViolationDelay = options.PolicyViolationDelay,
                KeepAliveInterval = options.KeepAliveInterval,
                KeepAliveTimeout = options.KeepAliveTimeout,
                KeepAliveTicker = keepAlive,
                SendUnavailableOnStop = true,

                // A failed session keeps what it accepted in the durable outbox: new settings (SessionPool.UpdateAsync)
                // send it, exactly once; deleting the session fails it.
                KeepUnacknowledgedOnFailure = durableOutbox,
                LookupHandled = (connection, unconfirmed, token) => _lookup!.FindHandledAsync(connection, unconfirmed, token),
            },
            loggerFactory,
            time,
            $"{tenant}/{id}");
        _outbound = new OutboundQueue(tenant, id, options, journal, _delivery, durableOutbox, () => _archive.Latest, RetryAfter, time, _logger, budget, metrics);
        _lookup = new SentMessageLookup(queries, _outbound.PositionOf, options.IqTimeout, _logger, tenant, id);
        History = new ArchiveHistory(queries, () => _client.Connection, OfflineForHistory, options.IqTimeout);
        // What changed in the roster while no stream received its pushes is published as if pushed (RFC 6121 §2.6).
        _presence = new SessionPresence(spec.SendInitialPresence, item => journal.Publish(new RosterPushed(tenant, id, 0, time.GetUtcNow(), item)));
        var contacts = new PresenceTracker(spec.Jid, _presence.Roster.Contains, time);
        var roomOptions = new RoomOptions(options.IqTimeout, options.RoomSelfPingInterval);
        _roomTable = new RoomTable();
        var roomPersistence = new RoomPersistence(_roomTable, roomStore ?? NoRoomStore.Instance, tenant, id, _logger);
        _rooms = new RoomManager(_roomTable, this, roomPersistence, roomOptions, time);
        var roomInbound = new RoomInboundHandler(_roomTable, roomPersistence, journal, time, _logger);
        _inbound = new InboundPipeline(journal, _delivery, _archive, _outbound, time, _presence.Pushed, new CarbonCopies(spec.Jid, tenant, id, _logger), contacts.Observe, roomInbound.TryHandleAsync, metrics);
        _account = new SessionAccount(this, journal, contacts, () => _presence.Roster.Items, HttpUpload.HttpUploader.Shared(options.AllowHostOverride), time, _logger);
        _iqRequests = new IqRequestForwarder(journal, options.IqAnswerTimeout, time, _logger, options.MaxPendingIqRequests);

        // Order matters on each new connection: handlers and the archive's filter before anything can arrive for them;
        // presence (which makes the server deliver what waited offline) after them; the sender starts with the rest.
        _client.Add(_iqRequests);
        _client.Add(new DeliveryFeatures());
        _client.Add(_stanzaIds);
        _client.Add(contacts);
        _client.Add(_account);
        _client.Add(_archive);
        _client.Add(_inbound);
        _settings = SessionSettings.From(spec, options);
        if (_settings.Carbons)
        {
            // XEP-0280: enabled before initial presence, so no copy of what follows it is missed.
            _client.Add(new CarbonsFeature(tenant, id, options.IqTimeout, _logger));
        }

        _client.Add(_presence);
        _client.Add(new RoomsFeature(_roomTable, roomPersistence, journal, roomOptions, time, _logger)); // after presence: rooms are entered once available (XEP-0045 §7.2.1)
        _client.Add(new OutboundSender(_outbound, StopAcknowledgementWait, tenant, id, _logger, options.MaxUnacknowledged));
        if (metrics is not null)
        {
            _client.Add(new ConnectionMetrics(metrics));
        }

        _metrics = metrics;
        _logScope = new SessionLogScope(tenant, id);
        _client.OnStatusChanged(OnStatusChanged);
        journal.Durable = _inbound.OnDurable;
    }

    private readonly SentMessageLookup _lookup;

    private readonly XmppMetrics? _metrics;

    /// <summary>Opened around the start, so the connection's background work (which captures it) logs in it.</summary>
    private readonly SessionLogScope _logScope;

    /// <summary>The client's state at the last change, to tell a lost connection from another reconnect attempt.</summary>
    private ConnectionState _lastState;

    private readonly SessionAccount _account;

    public ISessionAccount Account => _account;

    /// <summary>
    /// How long a graceful stop waits for the server to acknowledge what was written: long enough for a healthy server
    /// (milliseconds), short enough that a stalled one does not hold the shutdown; the rest is settled after the restart.
    /// </summary>
    private static readonly TimeSpan StopAcknowledgementWait = TimeSpan.FromSeconds(3);

    public string Tenant { get; }

    public string Id { get; }

    public SessionInfo Info
    {
        get
        {
            var status = _client.Status;
            var connection = _client.Connection;
            return new SessionInfo(Id, Tenant, _spec.Jid.Bare, SessionStateOf(status.State), status.Since, _createdAt)
            {
                BoundJid = connection?.Jid ?? _boundJid,
                Reason = status.Reason,
                ReasonText = status.ReasonText,
                ReconnectAttempt = status.Attempt,
                StreamManagement = connection?.IsStreamManagementEnabled ?? false,
                QueuedOutbound = _outbound.Count,
                LastEventId = _journal.LastEventId,
                Settings = _settings,
            };
        }
    }

    public Jid Jid => _client.Jid;

    /// <summary>The account and settings the session was built with, password included: the pool's, never shown.</summary>
    internal SessionSpec Spec => _spec;

    internal DateTimeOffset CreatedAt => _createdAt;

    /// <summary>
    /// The pool is moving this session to new settings (<see cref="SessionPool.UpdateAsync"/>): from now on a send it
    /// refuses is refused as for a reconnect (try again shortly), not as for a session that was stopped for good.
    /// </summary>
    internal void BeginReplacement() => _replacing = true;

    /// <summary>
    /// Completes once the client is online, or its first attempt failed (reconnecting or failed), or it stopped; never
    /// faults. What a caller that changed the session's settings waits for before it answers.
    /// </summary>
    internal async Task WaitUntilSettledAsync(CancellationToken cancellationToken)
    {
        var settled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listening = _client.OnStatusChanged(status =>
        {
            if (status.State is not ConnectionState.Connecting)
            {
                settled.TrySetResult();
            }
        });

        if (_client.Status.State is not ConnectionState.Connecting)
        {
            return;
        }

        try
        {
            await settled.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The caller answers with the state as it is.
        }
    }

    /// <summary>
    /// Logs in with <paramref name="spec"/> on a connection of its own, under a resource of its own, with no stream
    /// management and no presence, and closes it again: whether the password, host, TLS mode and pins work, tried before
    /// a running session is moved to them. Throws as a session's first connection would (refused password, TLS,
    /// unreachable server).
    /// </summary>
    internal static async Task VerifyLoginAsync(SessionSpec spec, SessionPoolOptions options, KeyDerivationLimiter keyDerivations, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        // A resource no client holds, so that binding it takes nothing from anyone (RFC 6120 §7.7.2.2); without presence
        // the server routes it nothing addressed to the bare JID (RFC 6121 §8.5.2.1).
        var check = ClientOptions(spec, options, keyDerivations) with
        {
            Resource = "gateway-check-" + StanzaId.New(),
            EnableStreamManagement = false,
            AcknowledgeIncomingManually = false,
        };
        var client = await XmppClient.ConnectAsync(check, loggerFactory, cancellationToken: cancellationToken).ConfigureAwait(false);
        await using (client.ConfigureAwait(false))
        {
            try
            {
                await client.CloseAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is XmppException or OperationCanceledException)
            {
                // The login worked, which is what was asked; the close is the server's to finish.
                client.Abort();
            }
        }
    }

    public IArchiveHistory History { get; }

    public IRoomManager Rooms => _rooms;

    /// <summary>Rooms a restored session was in: entered again on its first connection.</summary>
    internal void RestoreRooms(IEnumerable<StoredRoom> rooms) => _roomTable.Restore(rooms);

    /// <summary>Starts; completes when the session is online the first time, or throws why it could not be.</summary>
    public Task StartAsync()
    {
        // The session's loops outlive the request that creates it, so they start from an empty execution context that
        // holds the session's log scope alone: not the request's span (a trace would parent the session's work of days
        // to it), nor its log scopes (its request and trace ids on every later line), nor anything else the request's
        // async locals keep alive for as long as the session lives.
        using (ExecutionContext.SuppressFlow())
        {
            return Task.Run(() =>
            {
                using (_logger.BeginScope(_logScope))
                {
                    return _client.StartAsync();
                }
            });
        }
    }

    /// <summary>The state, without the rest of <see cref="Info"/> (read for every session when metrics are collected).</summary>
    internal SessionState State => SessionStateOf(_client.Status.State);

    /// <summary>Stanzas waiting to be written.</summary>
    internal int QueuedCount => _outbound.Count;

    /// <summary>Stanzas written and awaiting the server's acknowledgement.</summary>
    internal int UnacknowledgedCount => _outbound.UnacknowledgedCount;

    /// <summary>
    /// Starts a session restored from the store: it already existed, so even its first connection failing is retried
    /// like any reconnect. What the previous process published is remembered (not published again), and what it
    /// accepted but never got acknowledged is settled on the first connection: found in the archive, or sent.
    /// </summary>
    /// <param name="unacknowledged">The outbox: accepted and not acknowledged, oldest first.</param>
    /// <param name="published">The messages the journal published last.</param>
    /// <param name="resumption">
    /// The stream another process detached for this one to resume (XEP-0198 §5), or null. The outbox's stanzas that the
    /// stream carried are settled by the server's count; if the server no longer has the stream, the first connection
    /// binds anew and settles them as after any restart.
    /// </param>
    public void StartRestored(IReadOnlyList<OutboxEntry> unacknowledged, IEnumerable<Message> published, StreamResumption? resumption = null)
    {
        _deduplicator.Remember(published);
        var queued = unacknowledged.Count > 0 ? _outbound.Requeue(unacknowledged) : null;
        if (resumption is not null)
        {
            _presence.ResumeElsewhereBegun();
            _client.ResendOnConnect(resumption.ToHandoff(queued, _time.GetUtcNow()));
        }
        else if (queued is not null)
        {
            _client.ResendOnConnect(queued);
        }

        using (_logger.BeginScope(_logScope))
        {
            _client.Start();
        }
    }

    public Task<SendReceipt> EnqueueAsync(Stanza stanza, DeliveryWait wait, CancellationToken cancellationToken = default) =>
        EnqueueAsync(stanza, wait, idempotencyKey: null, cancellationToken);

    public Task<SendReceipt> EnqueueAsync(Stanza stanza, DeliveryWait wait, string? idempotencyKey, CancellationToken cancellationToken = default) =>
        EnqueueAsync(stanza, wait, idempotencyKey, RecipientReports.SessionDefault, cancellationToken);

    public async Task<SendReceipt> EnqueueAsync(Stanza stanza, DeliveryWait wait, string? idempotencyKey, RecipientReports reports, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stanza);
        if (idempotencyKey is null)
        {
            return await EnqueueCoreAsync(stanza, wait, reports, cancellationToken).ConfigureAwait(false);
        }

        // The same key within the window returns the first attempt's outcome and sends nothing again. The stanza id
        // (and origin-id) derives from the key, so a retry after a gateway restart names the same message: the journal
        // says whether an earlier process accepted it (its status is tracked again here), and the recipient can drop a
        // repeat by its XEP-0359 origin-id.
        if (_idempotency.TryGet(idempotencyKey, out var remembered))
        {
            // A retry within the window needs no journal lookup: this process has the first attempt's outcome.
            return await remembered.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        var stanzaId = IdempotentStanzaId(idempotencyKey);
        var earlier = await _delivery.FindAsync(stanzaId, cancellationToken).ConfigureAwait(false);
        var first = _idempotency.GetOrAdd(idempotencyKey, () =>
            Accepted(earlier, wait) is { } receipt
                ? Task.FromResult(receipt)
                : EnqueueCoreAsync(stanza with { Id = stanzaId }, wait, reports, CancellationToken.None));
        return await first.WaitAsync(cancellationToken).ConfigureAwait(false);

        // Accepted before this key was remembered here (by a gateway process before a restart, or before the key left
        // the window): not sent again. A wait for the server's acknowledgement is answered once it has one.
        static SendReceipt? Accepted(MessageStatus? known, DeliveryWait wait) => known switch
        {
            null => null,
            { Status: >= DeliveryStatus.Acked and not DeliveryStatus.Failed } => new SendReceipt(known.MessageId, AckedByServer: true),
            _ when wait == DeliveryWait.Queued => new SendReceipt(known.MessageId, AckedByServer: false),
            _ => null,
        };
    }

    public MessageStatus? GetMessageStatus(string messageId) => _delivery.Get(messageId);

    public async Task<MessageStatus?> FindMessageStatusAsync(string messageId, CancellationToken cancellationToken = default) =>
        await _delivery.FindAsync(messageId, cancellationToken).ConfigureAwait(false);

    public async Task SendAsync(Stanza stanza, CancellationToken cancellationToken = default) =>
        await EnqueueAsync(stanza, DeliveryWait.Queued, cancellationToken).ConfigureAwait(false);

    public async Task<Iq> SendIqAsync(Iq request, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var connection = _client.Connection;
        if (connection is null)
        {
            var state = Info.State;
            throw new SessionUnavailableException(Id, state, $"Session '{Id}' is {state}; IQ requests need an online session.");
        }

        return await connection.SendIqAsync(request, timeout ?? _options.IqTimeout, cancellationToken).ConfigureAwait(false);
    }

    public Task<bool> AnswerIqAsync(Iq answer, CancellationToken cancellationToken = default) => Task.FromResult(_iqRequests.TryAnswer(answer));

    public void AbortConnection() => _client.Abort();

    /// <summary>
    /// Stops: what was written is acknowledged by the server first (bounded), then unavailable presence and a graceful
    /// stream close, so everything the server sent before it is handled and journaled. Queued and unacknowledged stanzas
    /// are failed, unless <paramref name="keepQueued"/> (the gateway shuts down and a durable outbox resends them after
    /// the restart, settling first which ones the server already has).
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken, bool keepQueued = false)
    {
        _outbound.Close();
        var handoff = await _client.StopAsync(cancellationToken).ConfigureAwait(false);
        var stopped = Ended(keepQueued);
        await _outbound.DrainAsync(stopped, keepQueued).ConfigureAwait(false);
        if (!keepQueued || !_outbound.IsDurable)
        {
            handoff?.Abandon(stopped);
        }

        await _failed.ConfigureAwait(false);
        try
        {
            await _journal.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    /// <summary>
    /// Stops here so that another process carries on with the same XMPP stream: what was written is acknowledged first
    /// (bounded) as for <see cref="StopAsync"/>, then the connection is dropped without closing the stream (no
    /// unavailable presence, no stream close: the server keeps the stream for resumption, XEP-0198 §5). Queued and
    /// unacknowledged stanzas stay in the durable outbox; the journal is flushed, so the stream's inbound count covers
    /// only what is committed. Returns the stream to resume, or null when the server did not allow resumption (the next
    /// host then logs in anew and settles the outbox as after a restart).
    /// </summary>
    public async Task<StreamResumption?> HandOverAsync(CancellationToken cancellationToken)
    {
        _outbound.Close();
        var handoff = await _client.DetachAsync(cancellationToken).ConfigureAwait(false);
        await _outbound.DrainAsync(Ended(keepQueued: true), keep: true).ConfigureAwait(false); // durable: the pool hands over only then
        await _failed.ConfigureAwait(false);
        await _journal.FlushAsync(cancellationToken).ConfigureAwait(false);

        // Mid catch-up, live messages were left to the catch-up (the gap is this session's state, not the stream's):
        // the next host must not resume as if nothing were missing, but bind a new stream and catch up from the cursor,
        // as after a restart. (A settings-change chaos run lost 290 inbound messages when it resumed.)
        if (handoff is null || _archive.GapPending)
        {
            return null;
        }

        return StreamResumption.From(handoff, _time.GetUtcNow());
    }

    /// <summary>The session is gone for good: its journal handle is released.</summary>
    public void Close() => _journal.Close();

    private Task<SendReceipt> EnqueueCoreAsync(Stanza stanza, DeliveryWait wait, RecipientReports reports, CancellationToken cancellationToken)
    {
        ThrowIfTerminal();
        if (string.IsNullOrEmpty(stanza.Id))
        {
            stanza = stanza with { Id = StanzaId.New() };
        }

        if (wait == DeliveryWait.Server && _client.Connection is { IsStreamManagementEnabled: false })
        {
            throw new SessionUnavailableException(Id, Info.State, $"The server of session '{Id}' does not support XEP-0198 stream management, so it cannot acknowledge stanzas; send without wait=server.");
        }

        // The server stamps 'from' (RFC 6120 §8.1.2.1); a caller-supplied one is never trusted.
        stanza = stanza with { From = null };
        var tracked = OutboundQueue.IsTracked(stanza);
        if (stanza is Message message)
        {
            var requestReports = reports switch
            {
                RecipientReports.Requested => true,
                RecipientReports.None => false,
                _ => _settings.RequestReceipts,
            };
            stanza = message with { Payload = WithDeliveryElements(message, tracked && requestReports) };
        }

        if (!_rooms.Sent(stanza))
        {
            _presence.Sent(stanza);
        }

        return _outbound.AcceptAsync(stanza, wait == DeliveryWait.Server, tracked, () => Unavailable(Info.State), cancellationToken);
    }

    /// <summary>
    /// XEP-0359 §3.3 origin-id on every message (the archive lookup after a failed resume finds a message by it); when
    /// <paramref name="requestReports"/> (a tracked message whose sender wants reports) also a XEP-0184 receipt request
    /// and a XEP-0333 markable flag, so delivery and display can be reported back. Existing elements are kept.
    /// </summary>
    private static ImmutableArray<XElement> WithDeliveryElements(Message message, bool requestReports)
    {
        var payload = message.Payload;
        if (message.FindPayload(ReceiptElements.OriginId) is null)
        {
            payload = payload.Add(new XElement(ReceiptElements.OriginId, new XAttribute("id", message.Id!)));
        }

        if (requestReports && message.FindPayload(ReceiptElements.Request) is null)
        {
            payload = payload.Add(ReceiptElements.RequestReceipt());
        }

        if (requestReports && message.Type == MessageType.Chat && message.FindPayload(ReceiptElements.Markable) is null)
        {
            payload = payload.Add(ReceiptElements.MarkableElement());
        }

        return payload;
    }

    private string IdempotentStanzaId(string key)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{Tenant}\n{Id}\n{key}"));
        return "idem-" + Convert.ToBase64String(hash, 0, 16).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    private void OnStatusChanged(ConnectionStatus status)
    {
        if (_client.Connection?.Jid is { } bound)
        {
            _boundJid = bound;
        }

        var state = SessionStateOf(status.State);
        if (status.State == ConnectionState.Reconnecting && _lastState == ConnectionState.Online)
        {
            _metrics?.ConnectionLost();
        }

        _lastState = status.State;
        if (_replacing && state == SessionState.Stopped)
        {
            // Moving to new settings: the session does not stop for its subscribers (stopped is final to them); the
            // session that takes its place publishes where it stands next.
            return;
        }

        Log.SessionStateChanged(_logger, Tenant, Id, state);
        _journal.Publish(new SessionStateChanged(Tenant, Id, 0, status.Since, state, status.Reason, status.ReasonText));
        if (state == SessionState.Failed)
        {
            // With a durable outbox what is queued stays there (and its status where it is) for new settings to send;
            // a caller still waiting for the write learns that the session failed.
            var failed = _outbound.IsDurable
                ? new SessionUnavailableException(Id, SessionState.Failed,
                    $"Session '{Id}' failed ({status.Reason}) before the stanza was written; it stays queued and goes out once the session is given settings that work (PATCH), or fails when the session is deleted.")
                : Unavailable(SessionState.Failed, admission: false);
            _failed = _outbound.DrainAsync(failed, keep: true);
        }
    }

    private void ThrowIfTerminal()
    {
        var state = Info.State;
        if (state is SessionState.Stopped or SessionState.Failed)
        {
            throw Unavailable(state);
        }
    }

    /// <param name="state">The state to name.</param>
    /// <param name="admission">A send being refused (false: one already accepted, which the session can no longer carry).</param>
    private SessionUnavailableException Unavailable(SessionState state, bool admission = true)
    {
        if (_replacing && admission)
        {
            return new SessionUnavailableException(Id, SessionState.Reconnecting, $"Session '{Id}' is moving to new settings; try again in a moment.");
        }

        var reason = _client.Status.Reason;
        return new SessionUnavailableException(Id, state,
            $"Session '{Id}' is {state.ToString().ToLowerInvariant()}{(reason is null ? "" : $" ({reason})")}; it no longer sends.");
    }

    /// <summary>What a caller still waiting for a stanza's write learns when the session stops here.</summary>
    private SessionUnavailableException Ended(bool keepQueued) => _replacing && keepQueued && _outbound.IsDurable
        ? new SessionUnavailableException(Id, SessionState.Stopped,
            $"Session '{Id}' moved to new settings before the stanza was written; it stays queued and goes out once on the new connection (see its status).")
        : Unavailable(SessionState.Stopped, admission: false);

    private SessionUnavailableException OfflineForHistory()
    {
        var state = Info.State;
        return new SessionUnavailableException(Id, state, $"Session '{Id}' is {state}; reading history needs an online session.");
    }

    private TimeSpan RetryAfter() =>
        _client.Status.State == ConnectionState.Reconnecting ? _client.NextRetryCeiling : TimeSpan.FromSeconds(1);

    internal static SessionState SessionStateOf(ConnectionState state) => state switch
    {
        ConnectionState.Connecting => SessionState.Connecting,
        ConnectionState.Online => SessionState.Online,
        ConnectionState.Reconnecting => SessionState.Reconnecting,
        ConnectionState.Stopped => SessionState.Stopped,
        _ => SessionState.Failed,
    };

    private static XmppClientOptions ClientOptions(SessionSpec spec, SessionPoolOptions options, KeyDerivationLimiter keyDerivations) => new()
    {
        Jid = spec.Jid.Bare,
        Password = spec.Password,
        Resource = spec.Resource ?? spec.Jid.Resource,
        Host = spec.Host,
        Port = spec.Port,
        TlsMode = spec.TlsMode,

        // The switch for test and development setups also lets a JID's domain (and its DNS, and see-other-host)
        // lead to loopback and private addresses; off, the gateway reaches only public ones.
        AllowPrivateAddresses = options.AllowHostOverride,
        TrustedCertificates = options.TrustedCertificates,
        PinnedCertificateSha256 = spec.PinnedCertificateSha256.IsDefaultOrEmpty ? null : spec.PinnedCertificateSha256,
        ConnectTimeout = options.ConnectTimeout,
        IqTimeout = options.IqTimeout,
        ScramMinIterations = options.ScramMinIterations,
        ScramMaxIterations = options.ScramMaxIterations,
        KeyDerivationLimiter = keyDerivations,
        SoftwareName = options.SoftwareName,
        RespondTo = options.RespondTo,
        AcknowledgeIncomingManually = true,
        MaxStanzaBytes = options.MaxStanzaBytes,
        AcknowledgementRequestDelay = options.AcknowledgementDelay,
        InboundQuota = new InboundQuota { StanzasPerSecond = options.InboundStanzasPerSecond, BytesPerSecond = options.InboundBytesPerSecond },

        // Forwarded requests can wait for an API client for seconds; the connection's own handlers (ping, disco,
        // version) keep places of their own beyond them.
        MaxConcurrentIqRequests = options.MaxPendingIqRequests + BuiltInIqRequests,
    };

    /// <summary>IQ requests the connection's own handlers may run at once besides the forwarded ones.</summary>
    private const int BuiltInIqRequests = 16;

    /// <summary>XEP-0184 receipts and XEP-0333 markers are answered and read here: announced in disco#info on every connection.</summary>
    private sealed class DeliveryFeatures : IConnectionFeature
    {
        public ValueTask OnConnectedAsync(ConnectionContext context, CancellationToken cancellationToken)
        {
            context.Connection.AddDiscoFeature(Protocol.Ns.Receipts);
            context.Connection.AddDiscoFeature(Protocol.Ns.ChatMarkers);
            return ValueTask.CompletedTask;
        }
    }
}
