using System.Collections.Concurrent;
using System.Threading.Channels;
using System.Xml.Linq;
using Gateway.Xmpp.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Gateway.Xmpp.Pool;

/// <summary>
/// One pooled session: a supervisor task that connects, runs the connection (receive, send and
/// keepalive loops) until it ends, and reconnects with backoff; an outbound queue that outlives each
/// connection; and the session's event numbering.
/// </summary>
internal sealed class ManagedSession : IManagedSession
{
    private readonly SessionPool _pool;
    private readonly SessionSpec _spec;
    private readonly SessionPoolOptions _options;
    private readonly ILogger _logger;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _time;
    private readonly ReconnectPolicy _reconnectPolicy;
    private readonly Channel<OutboundItem> _outbound;
    private readonly Persistence.IPoolStore _store;

    /// <summary>Stanzas admitted and not yet taken off the queue: the capacity check, made before the outbox write.</summary>
    private int _queued;
    private readonly ConcurrentDictionary<string, PendingIqRequest> _pendingIqRequests = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _firstOnline = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _stateGate = new();
    private SessionInfo _info;
    private XmppClient? _client;
    private Task _supervisor = Task.CompletedTask;
    private StreamManagement.StreamHandoff? _handoff;
    private readonly MessageStatusTracker _statuses;
    private readonly ConcurrentDictionary<string, ConcurrentQueue<ArchivedMessage>> _catchUps = new(StringComparer.Ordinal);
    /// <summary>Dedupe keys of published incoming messages: archive ids and sender+origin-id pairs.</summary>
    private readonly HashSet<string> _seenArchiveIds = new(StringComparer.Ordinal);
    private readonly Queue<string> _seenArchiveOrder = new();
    /// <summary>
    /// The archive id (XEP-0359 stanza-id) up to which every message is accounted for. It follows live messages
    /// while there is no gap, and the catch-up's pages while there is one.
    /// </summary>
    private string? _archiveCursor;

    /// <summary>A stream ended without resumption and the catch-up has not completed yet.</summary>
    private volatile bool _gapPending;
    private bool _hadConnection;

    /// <summary>The last connection stopped answering: the next one binds a new stream instead of resuming it.</summary>
    private volatile bool _streamUnresponsive;
    private readonly IdempotencyWindow<Task<SendReceipt>> _idempotency;
    private long _lastEventId;

    public ManagedSession(SessionPool pool, string tenant, string id, SessionSpec spec, SessionPoolOptions options, ILoggerFactory loggerFactory, TimeProvider time, DateTimeOffset createdAt, long lastEventId, string? lastArchiveId = null, Persistence.IPoolStore? store = null)
    {
        _archiveCursor = lastArchiveId;
        _hadConnection = lastArchiveId is not null;
        _lastEventId = lastEventId;
        _statuses = new MessageStatusTracker(options.MessageStatusCapacity, time);
        _idempotency = new IdempotencyWindow<Task<SendReceipt>>(options.IdempotencyWindow, options.MessageStatusCapacity, time);
        _pool = pool;
        _spec = spec;
        _options = options;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<SessionPool>();
        _time = time;
        _reconnectPolicy = new ReconnectPolicy(options.ReconnectBaseDelay, options.ReconnectMaxDelay, new Random());
        _store = store ?? new Persistence.InMemoryPoolStore();

        // Unbounded as a channel: admission (OutboundQueueCapacity) is decided by _queued, synchronously, before the
        // outbox write, so that a refusal is never a stored outcome and a stored stanza is never refused.
        _outbound = Channel.CreateUnbounded<OutboundItem>(new UnboundedChannelOptions { SingleReader = true });
        _info = new SessionInfo(id, tenant, spec.Jid.Bare, SessionState.Connecting, time.GetUtcNow(), createdAt);
    }

    public string Tenant => _info.Tenant;

    public string Id => _info.Id;

    public SessionInfo Info
    {
        get
        {
            lock (_stateGate)
            {
                return _info with
                {
                    QueuedOutbound = Math.Max(0, Volatile.Read(ref _queued)),
                    LastEventId = Interlocked.Read(ref _lastEventId),
                    StreamManagement = _client?.IsStreamManagementEnabled ?? false,
                };
            }
        }
    }

    public Jid Jid => _client?.Jid ?? _spec.Jid;

    private SessionState State
    {
        get
        {
            lock (_stateGate)
            {
                return _info.State;
            }
        }
    }

    /// <summary>Starts the supervisor; completes when the session is online the first time, or throws why it could not be.</summary>
    public Task StartAsync()
    {
        _supervisor = Task.Run(SuperviseAsync);
        return _firstOnline.Task;
    }

    public Task<SendReceipt> EnqueueAsync(Stanza stanza, DeliveryWait wait, CancellationToken cancellationToken = default) =>
        EnqueueAsync(stanza, wait, idempotencyKey: null, cancellationToken);

    public Task<SendReceipt> EnqueueAsync(Stanza stanza, DeliveryWait wait, string? idempotencyKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stanza);
        if (idempotencyKey is null)
        {
            return EnqueueCoreAsync(stanza, wait, cancellationToken);
        }

        // The same key within the window returns the first attempt's outcome and sends nothing again. The
        // stanza id (and origin-id) derives from the key, so even a retry after a gateway restart carries the
        // same XEP-0359 origin-id and the recipient can drop the repeat.
        var stanzaId = IdempotentStanzaId(idempotencyKey);
        var first = _idempotency.GetOrAdd(idempotencyKey, () =>
            wait == DeliveryWait.Queued && _statuses.Get(stanzaId) is { } known && known.ErrorCondition != "not-queued"
                // Accepted before this key was remembered here: by a gateway process before a restart (its outbox
                // queued it again) or before the key left the window. Not sent again.
                ? Task.FromResult(new SendReceipt(stanzaId, AckedByServer: known.Status is >= DeliveryStatus.Acked and not DeliveryStatus.Failed))
                : EnqueueCoreAsync(stanza with { Id = stanzaId }, wait, CancellationToken.None));
        return first.WaitAsync(cancellationToken);
    }

    public MessageStatus? GetMessageStatus(string messageId) => _statuses.Get(messageId);

    private Task<SendReceipt> EnqueueCoreAsync(Stanza stanza, DeliveryWait wait, CancellationToken cancellationToken)
    {
        ThrowIfTerminal();
        if (string.IsNullOrEmpty(stanza.Id))
        {
            stanza = stanza with { Id = StanzaId.New() };
        }

        if (wait == DeliveryWait.Server && _client is { IsConnected: true, IsStreamManagementEnabled: false })
        {
            throw new SessionUnavailableException(Id, State, $"The server of session '{Id}' does not support XEP-0198 stream management, so it cannot acknowledge stanzas; send without wait=server.");
        }

        // The server stamps 'from' (RFC 6120 §8.1.2.1); a caller-supplied one is never trusted.
        stanza = stanza with { From = null };
        var tracked = IsTracked(stanza);
        if (stanza is Message message)
        {
            stanza = message with { Payload = WithDeliveryElements(message, tracked) };
        }

        if (tracked)
        {
            PublishStatus(_statuses.Track(stanza.Id!, stanza.To));
        }

        // Admission is decided here, synchronously: a refusal is this call's exception, never a remembered outcome.
        if (Interlocked.Increment(ref _queued) > _options.OutboundQueueCapacity)
        {
            Interlocked.Decrement(ref _queued);
            throw Refuse(stanza, tracked, new OutboundQueueFullException(Id, _options.OutboundQueueCapacity, RetryAfter()));
        }

        return AcceptAsync(new OutboundItem(stanza, wait == DeliveryWait.Server, tracked), cancellationToken);
    }

    /// <summary>
    /// Stores the admitted stanza in the outbox, then queues it: once a send is accepted, a gateway restart
    /// resends it rather than losing it. The store write is not cancelled with the request, so a stanza is
    /// either stored and queued, or neither.
    /// </summary>
    private async Task<SendReceipt> AcceptAsync(OutboundItem item, CancellationToken cancellationToken)
    {
        try
        {
            // An outbox that does not outlive the process is not written at all (nothing would ever be read back).
            if (_store.IsDurable)
            {
                var batch = new Persistence.JournalBatch();
                batch.OutboxAdditions.Add(new Persistence.OutboxEntry(Tenant, Id, item.Stanza, item.WaitForAck, _time.GetUtcNow()) { ArchiveCursor = _archiveCursor });
                await _store.CommitAsync(batch, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not XmppException)
        {
            Interlocked.Decrement(ref _queued);
            Log.OutboxFailed(_logger, Tenant, Id, ex);
            throw Refuse(item.Stanza, item.Tracked, new SessionUnavailableException(Id, State, $"Session '{Id}' could not store the stanza for sending; nothing was sent. Retry later."));
        }

        if (!_outbound.Writer.TryWrite(item))
        {
            // Only a stopped or failed session's queue refuses.
            Interlocked.Decrement(ref _queued);
            ForgetInOutbox(item.Stanza.Id!);
            throw Refuse(item.Stanza, item.Tracked, Unavailable(State));
        }

        return item.WaitForAck
            ? await WaitForAckAsync(item, cancellationToken).ConfigureAwait(false)
            : new SendReceipt(item.Stanza.Id!, AckedByServer: false);
    }

    private XmppException Refuse(Stanza stanza, bool tracked, XmppException refusal)
    {
        if (tracked)
        {
            PublishStatus(_statuses.Fail(stanza.Id!, "not-queued", refusal.Message));
        }

        return refusal;
    }

    /// <summary>Messages with a body get a delivery status (not errors, and not groupchat, whose echo is no receipt).</summary>
    private static bool IsTracked(Stanza stanza) =>
        stanza is Message { Type: not (MessageType.Error or MessageType.Groupchat) } message && message.Body is not null;

    /// <summary>
    /// Queues the stanzas a previous gateway process accepted and the server never acknowledged, before the
    /// session first connects. They keep their ids (and XEP-0359 origin-ids), so a recipient can drop a repeat
    /// of one the server had handled just before the restart.
    /// </summary>
    internal void Requeue(IEnumerable<Persistence.OutboxEntry> entries)
    {
        foreach (var entry in entries)
        {
            var tracked = IsTracked(entry.Stanza);
            if (tracked)
            {
                PublishStatus(_statuses.Track(entry.StanzaId, entry.Stanza.To));
            }

            Interlocked.Increment(ref _queued);
            _outbound.Writer.TryWrite(new OutboundItem(entry.Stanza, WaitForAck: false, tracked));
        }
    }

    /// <summary>The stanza needs no resending: out of the outbox, in the background (a failure only means a repeat after a restart).</summary>
    private void ForgetInOutbox(string stanzaId)
    {
        if (_store.IsDurable)
        {
            _ = ForgetAsync(stanzaId);
        }

        async Task ForgetAsync(string id)
        {
            try
            {
                var batch = new Persistence.JournalBatch();
                batch.OutboxRemovals.Add(new Persistence.OutboxKey(Tenant, Id, id));
                await _store.CommitAsync(batch).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Background cleanup: any failure is logged, the stanza is at worst resent after a restart.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.OutboxFailed(_logger, Tenant, Id, ex);
            }
        }
    }

    /// <summary>
    /// XEP-0359 §3.3 origin-id on every message; on messages with a body also a XEP-0184 receipt request and a
    /// XEP-0333 markable flag, so delivery and display can be reported back. Existing elements are kept.
    /// </summary>
    private static System.Collections.Immutable.ImmutableArray<XElement> WithDeliveryElements(Message message, bool tracked)
    {
        var payload = message.Payload;
        if (message.FindPayload(ReceiptElements.OriginId) is null)
        {
            payload = payload.Add(new XElement(ReceiptElements.OriginId, new XAttribute("id", message.Id!)));
        }

        if (tracked && message.FindPayload(ReceiptElements.Request) is null)
        {
            payload = payload.Add(ReceiptElements.RequestReceipt());
        }

        if (tracked && message.Type == MessageType.Chat && message.FindPayload(ReceiptElements.Markable) is null)
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

    private void PublishStatus(MessageStatus? status)
    {
        if (status is not null)
        {
            Publish((id, at) => new MessageStatusChanged(Tenant, Id, id, at, status));
        }
    }

    private void PublishStatuses(IEnumerable<MessageStatus> statuses)
    {
        foreach (var status in statuses)
        {
            PublishStatus(status);
        }
    }

    /// <summary>
    /// Starts a session restored from the store: it already existed, so even its first connection failing is
    /// retried like any reconnect rather than reported to a creator.
    /// </summary>
    public void StartRestored()
    {
        _firstOnline.TrySetResult();
        _supervisor = Task.Run(SuperviseAsync);
    }

    public async Task SendAsync(Stanza stanza, CancellationToken cancellationToken = default) =>
        await EnqueueAsync(stanza, DeliveryWait.Queued, cancellationToken).ConfigureAwait(false);

    public async Task<Iq> SendIqAsync(Iq request, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var client = _client;
        if (client is null || State != SessionState.Online)
        {
            var state = State;
            throw new SessionUnavailableException(Id, state, $"Session '{Id}' is {state}; IQ requests need an online session.");
        }

        return await client.SendIqAsync(request, timeout ?? _options.IqTimeout, cancellationToken).ConfigureAwait(false);
    }

    public Task<bool> AnswerIqAsync(Iq answer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(answer);
        if (answer.Id is null || !_pendingIqRequests.TryGetValue(answer.Id, out var pending)
            || (answer.To is not null && answer.To != pending.Request.From))
        {
            return Task.FromResult(false);
        }

        return Task.FromResult(pending.Answer.TrySetResult(answer));
    }

    public void AbortConnection() => _client?.Abort();

    /// <summary>
    /// Stops: unavailable presence, graceful stream close. Queued and unacknowledged stanzas are failed, unless
    /// <paramref name="keepQueued"/> (the gateway shuts down and a durable outbox resends them after the restart).
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken, bool keepQueued = false)
    {
        if (!_stopping.IsCancellationRequested)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
        }

        var client = _client;
        if (client is { IsConnected: true })
        {
            try
            {
                // RFC 6121 §4.5.1: say goodbye to contacts before closing the stream.
                await client.SendAsync(new Presence { Type = PresenceType.Unavailable }, cancellationToken).ConfigureAwait(false);
                await client.CloseAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is XmppException or OperationCanceledException)
            {
                client.Abort();
            }
        }

        try
        {
            await _supervisor.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _client?.Abort();
        }

        SetState(SessionState.Stopped, null, null);
        FailQueued(Unavailable(SessionState.Stopped), keepQueued);
        AbandonHandoff(SessionState.Stopped, keepQueued);
    }

    private async Task SuperviseAsync()
    {
        var attempt = 0;
        while (!_stopping.IsCancellationRequested)
        {
            XmppClient client;
            try
            {
                client = await XmppClient.ConnectAsync(ClientOptions(), _loggerFactory, resumeFrom: _handoff, cancellationToken: _stopping.Token).ConfigureAwait(false);
                _handoff = null;
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                _firstOnline.TrySetException(Unavailable(SessionState.Stopped));
                return;
            }
            catch (XmppException ex)
            {
                var (reason, text) = Describe(ex);
                if (!_firstOnline.Task.IsCompleted)
                {
                    // The first attempt decides whether the session is created at all: report the cause to the creator.
                    SetState(SessionState.Failed, reason, text);
                    _firstOnline.TrySetException(ex);
                    return;
                }

                if (!ex.IsTransient)
                {
                    Fail(reason, text);
                    return;
                }

                attempt++;
                await BackoffAsync(attempt, reason, text).ConfigureAwait(false);
                continue;
            }

            var ended = await RunConnectionAsync(client).ConfigureAwait(false);
            // XEP-0198 §5: what the server did not acknowledge goes to the next connection, which resumes the
            // stream when the server still keeps it, or binds anew and resends.
            _handoff = client.DetachStream();
            if (_streamUnresponsive)
            {
                Log.ResumedStreamUnresponsive(_logger, Tenant, Id);
                _handoff = _handoff?.WithoutResumption();
                _streamUnresponsive = false;
            }

            await client.DisposeAsync().ConfigureAwait(false);
            if (_stopping.IsCancellationRequested)
            {
                return;
            }

            var (endReason, endText) = ended is null ? ("connection-lost", "The server closed the stream.") : Describe(ended);
            if (ended is { IsTransient: false })
            {
                // E.g. conflict: another login took the resource. Reconnecting would kick it out in a loop.
                Fail(endReason, endText);
                return;
            }

            attempt = 1;
            await BackoffAsync(attempt, endReason, endText).ConfigureAwait(false);
        }
    }

    /// <summary>Runs one connection until it ends; returns why it ended (null: the server closed the stream cleanly).</summary>
    private async Task<XmppException?> RunConnectionAsync(XmppClient client)
    {
        _client = client;
        client.SetFallbackIqHandler(ForwardIqRequestAsync);
        client.SetMessageFilter(CollectArchiveResult);
        client.AddDiscoFeature(Protocol.Ns.Receipts);
        client.AddDiscoFeature(Protocol.Ns.ChatMarkers);
        using var connectionScope = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        var token = connectionScope.Token;
        if (_hadConnection && !client.Resumed && _archiveCursor is not null)
        {
            _gapPending = true; // without a cursor there is no known point to catch up from
        }

        var catchingUp = _gapPending && _archiveCursor is not null;
        Log.ConnectionStarted(_logger, Tenant, Id, client.Resumed, catchingUp);
        if (catchingUp)
        {
            lock (_holdGate)
            {
                _held = [];
            }
        }

        try
        {
            // A resumed stream keeps its roster interest and presence on the server (XEP-0198 §5).
            if (!client.Resumed)
            {
                // RFC 6121 §2.1.6: only a resource that requested the roster receives roster pushes.
                await client.GetRosterAsync(token).ConfigureAwait(false);
                if (_spec.SendInitialPresence)
                {
                    await client.SendInitialPresenceAsync(cancellationToken: token).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is XmppException or OperationCanceledException)
        {
            // The connection died while coming online; its Terminated reason says why.
        }

        if (client.IsConnected && !_stopping.IsCancellationRequested)
        {
            lock (_stateGate)
            {
                _info = _info with { BoundJid = client.Jid, ReconnectAttempt = 0 };
            }

            SetState(SessionState.Online, null, null);
            _firstOnline.TrySetResult();
        }

        // Not tied to the connection: stanzas already counted as handled (XEP-0198 'h') must all be published.
        var receive = ReceiveLoopAsync(client, _stopping.Token);
        var send = SendLoopAsync(client, token);
        var keepAlive = KeepAliveLoopAsync(client, token);
        // A new stream after an earlier one (not a resumption) may have missed messages: catch up from the archive.
        var catchUp = catchingUp ? CatchUpAsync(client, token) : Task.CompletedTask;
        _hadConnection = true;
        var reason = await client.Terminated.ConfigureAwait(false);
        await connectionScope.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(receive, send, keepAlive, catchUp).ConfigureAwait(false);
        _client = null;
        return reason;
    }

    private async Task ReceiveLoopAsync(XmppClient client, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var stanza in client.Incoming.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                switch (stanza)
                {
                    case Message message:
                        lock (_holdGate)
                        {
                            AcceptLive(message);
                        }

                        // Not awaited: the receive loop must never wait on a socket write, or a peer that is itself
                        // waiting for us to read could stall both directions.
                        _ = AnswerReceiptRequestAsync(client, message);
                        break;
                    case Presence presence:
                        Publish((id, at) => new PresenceReceived(Tenant, Id, id, at, presence));
                        break;
                    case Iq iq:
                        foreach (var item in iq.AsRosterPush())
                        {
                            Publish((id, at) => new RosterPushed(Tenant, Id, id, at, item));
                        }

                        break;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// XEP-0313 catch-up: pages through the own archive after the last message accounted for, publishing what
    /// this session never saw (messages from others, not yet seen by stanza-id). Progress is kept page by page,
    /// so a catch-up the connection interrupts continues on the next connection. Without MAM, or when the
    /// archive no longer knows the id, it logs and gives up: the gap is then not recoverable from here.
    /// </summary>
    private async Task CatchUpAsync(XmppClient client, CancellationToken cancellationToken)
    {
        var after = _archiveCursor;
        var completed = false;
        try
        {
            while (true)
            {
                var queryId = StanzaId.New();
                var collected = new ConcurrentQueue<ArchivedMessage>();
                _catchUps[queryId] = collected;
                ArchivePage fin;
                try
                {
                    fin = MamElements.ReadFin(await client.SendIqAsync(MamElements.QueryAfter(queryId, after, CatchUpPageSize), cancellationToken: cancellationToken).ConfigureAwait(false));
                }
                catch (XmppTimeoutException) when (client.IsConnected)
                {
                    // A busy server; ask for the same page again (late results of this query are dropped).
                    continue;
                }
                finally
                {
                    _catchUps.TryRemove(queryId, out _);
                }

                var own = _spec.Jid.Bare;
                var published = 0;
                foreach (var archived in collected)
                {
                    if (archived.Message.From?.Bare != own && PublishIncoming(archived.Message, archived.ArchiveId))
                    {
                        published++;
                    }
                }

                Log.CaughtUp(_logger, Tenant, Id, collected.Count, published);
                var next = fin.Last ?? collected.LastOrDefault()?.ArchiveId ?? after;
                // No progress (an empty page, or a server that keeps answering the same page) ends it too.
                completed = fin.Complete || collected.IsEmpty || next == after;
                after = next;
                _archiveCursor = after;
                if (completed)
                {
                    _gapPending = false;
                    return;
                }
            }
        }
        catch (StanzaErrorException ex)
        {
            Log.CatchUpUnavailable(_logger, Tenant, Id, ex.Error.Condition.ToWire());
            // Nothing more can be recovered; carrying on live is all that is left.
            _gapPending = false;
            completed = true;
        }
        catch (Exception ex) when (ex is XmppException or OperationCanceledException)
        {
            // The connection ended mid catch-up; the next connection catches up again from the cursor.
        }
        finally
        {
            ReleaseHeldMessages(completed);
        }
    }

    private readonly object _holdGate = new();

    /// <summary>Live messages received while a catch-up runs, published after it; null when none runs.</summary>
    private volatile List<Message>? _held;

    /// <summary>
    /// A message that arrived on the stream. While a catch-up runs it is held, to be published after the
    /// archive's older messages, so each sender's messages stay in order. While a gap is still open and no
    /// catch-up runs (the one of this connection was interrupted), a message the archive holds (it carries our
    /// archive's stanza-id) is left to the next catch-up, which publishes it in archive order; publishing it
    /// now would put it before older messages still to come. Call under <see cref="_holdGate"/>.
    /// </summary>
    private void AcceptLive(Message message)
    {
        if (_held is { } held)
        {
            held.Add(message);
        }
        else if (!_gapPending || ReceiptElements.FindStanzaId(message, _spec.Jid.Bare) is null)
        {
            PublishIncoming(message, archiveId: null);
        }
    }

    /// <summary>
    /// Ends holding: after a completed catch-up every held message is published (repeats of what the catch-up
    /// published are dropped); after an interrupted one they go through <see cref="AcceptLive"/> with the gap
    /// still open.
    /// </summary>
    private void ReleaseHeldMessages(bool caughtUp)
    {
        lock (_holdGate)
        {
            var held = _held ?? [];
            Log.HeldReleased(_logger, Tenant, Id, held.Count, caughtUp);
            _held = null;
            foreach (var message in held)
            {
                AcceptLive(message);
            }

            lock (_seenArchiveIds)
            {
                ForgetBeyondCapacity();
            }
        }
    }

    /// <summary>
    /// Publishes an incoming message unless it is a repeat: the same archive id (XEP-0359 stanza-id by our
    /// account: an offline copy and its archive entry) or the same sender's origin-id (a sender that resent
    /// after losing its own connection). Returns whether it was published.
    /// </summary>
    private bool PublishIncoming(Message message, string? archiveId)
    {
        archiveId ??= ReceiptElements.FindStanzaId(message, _spec.Jid.Bare);
        var originKey = OriginKey(message);
        lock (_seenArchiveIds)
        {
            if ((archiveId is not null && _seenArchiveIds.Contains(archiveId)) || (originKey is not null && _seenArchiveIds.Contains(originKey)))
            {
                return false;
            }

            Remember(archiveId);
            Remember(originKey);
            if (archiveId is not null && !_gapPending)
            {
                _archiveCursor = archiveId;
            }
        }

        TrackDelivery(message);
        Publish((id, at) => new MessageReceived(Tenant, Id, id, at, message));
        return true;
    }

    /// <summary>The sender's XEP-0359 origin-id, qualified by the sender: the same id from two senders is two messages.</summary>
    private static string? OriginKey(Message message) =>
        message.From is not null && (string?)message.FindPayload(ReceiptElements.OriginId)?.Attribute("id") is { Length: > 0 } originId
            ? $"{message.From.Bare}\n{originId}"
            : null;

    /// <summary>
    /// A restored session remembers the messages its journal shows it published before the restart, so that
    /// catching up from the archive (or a sender resending) does not publish them again.
    /// </summary>
    internal void RememberPublished(IEnumerable<Message> published)
    {
        lock (_seenArchiveIds)
        {
            foreach (var message in published)
            {
                Remember(ReceiptElements.FindStanzaId(message, _spec.Jid.Bare));
                Remember(OriginKey(message));
            }
        }
    }

    /// <summary>
    /// Adds a dedupe key, forgetting the oldest beyond the capacity. Nothing is forgotten while live messages
    /// are held during a catch-up: each held message is checked against what the catch-up published, however
    /// long the catch-up ran. Call under the set's lock.
    /// </summary>
    private void Remember(string? key)
    {
        if (key is null || !_seenArchiveIds.Add(key))
        {
            return;
        }

        _seenArchiveOrder.Enqueue(key);
        if (_held is null)
        {
            ForgetBeyondCapacity();
        }
    }

    /// <summary>Call under the set's lock.</summary>
    private void ForgetBeyondCapacity()
    {
        while (_seenArchiveOrder.Count > SeenArchiveIdCapacity)
        {
            _seenArchiveIds.Remove(_seenArchiveOrder.Dequeue());
        }
    }

    private const int CatchUpPageSize = 100;
    private const int SeenArchiveIdCapacity = 10_000;

    /// <summary>Runs on the client's reader: archive results of our own queries are collected, not published as live messages.</summary>
    private bool CollectArchiveResult(Message message)
    {
        if (MamElements.TryReadResult(message) is not { } result || (message.From is not null && message.From.Bare != _spec.Jid.Bare))
        {
            return false;
        }

        // A result of a query that already ended (its connection dropped, and a resumed stream delivers the
        // rest) is dropped too: archive copies are never live messages, and the next catch-up covers them.
        if (_catchUps.TryGetValue(result.QueryId, out var collected))
        {
            collected.Enqueue(result);
        }

        return true;
    }

    /// <summary>Receipts, markers and bounces about messages we sent move their delivery status.</summary>
    private void TrackDelivery(Message message)
    {
        if (message.Type == MessageType.Error && message.Id is not null)
        {
            var error = message.Error ?? StanzaError.Of(StanzaErrorCondition.UndefinedCondition);
            PublishStatus(_statuses.Fail(message.Id, error.Condition.ToWire(), error.Text));
            return;
        }

        if (ReceiptElements.FindAcknowledgement(message) is not { } acknowledgement || message.From is null)
        {
            return;
        }

        PublishStatuses(acknowledgement.Displayed
            ? _statuses.AdvanceThrough(acknowledgement.Id, message.From, DeliveryStatus.Displayed)
            : _statuses.AdvanceThrough(acknowledgement.Id, message.From, DeliveryStatus.Delivered));
    }

    /// <summary>
    /// XEP-0184 §5.1: a client that supports receipts answers a request on a message with an id (not on
    /// groupchat or error messages, §5.3). For a gateway, "delivered" means it reached the gateway's journal.
    /// </summary>
    private static async Task AnswerReceiptRequestAsync(XmppClient client, Message message)
    {
        if (message.Id is null || message.From is null || message.Type is MessageType.Error or MessageType.Groupchat
            || message.FindPayload(ReceiptElements.Request) is null)
        {
            return;
        }

        try
        {
            await client.SendAsync(new Message { To = message.From, Id = StanzaId.New(), Type = message.Type, Payload = [ReceiptElements.ReceivedFor(message.Id)] }).ConfigureAwait(false);
        }
        catch (XmppException)
        {
            // The connection dropped; the sender's receipt request then goes unanswered, which receipts allow.
        }
    }

    private async Task SendLoopAsync(XmppClient client, CancellationToken cancellationToken)
    {
        var reader = _outbound.Reader;
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                // Peek, send, then remove: a stanza whose write fails stays at the head for the next connection.
                if (!reader.TryPeek(out var item))
                {
                    continue;
                }

                try
                {
                    if ((item.WaitForAck || item.Tracked || _store.IsDurable) && client.IsStreamManagementEnabled)
                    {
                        var sent = await client.SendTrackedAsync(item.Stanza, requestAcknowledgementNow: item.WaitForAck, cancellationToken).ConfigureAwait(false);
                        item.Written.TrySetResult(sent.Acknowledged);
                        _ = OnAcknowledgedAsync(item, sent.Acknowledged);
                    }
                    else
                    {
                        await client.SendAsync(item.Stanza, cancellationToken).ConfigureAwait(false);
                        item.Written.TrySetResult(null);

                        // Without XEP-0198 nothing better than "written" will come.
                        ForgetInOutbox(item.Stanza.Id!);
                    }

                    if (item.Tracked)
                    {
                        PublishStatus(_statuses.Advance(item.Stanza.Id!, DeliveryStatus.Sent));
                    }
                }
                catch (XmppConnectionException ex)
                {
                    if (ex.PendingAcknowledgement is { } pending)
                    {
                        // The stanza may have reached the server: it went with the stream's unacknowledged stanzas, and
                        // the next connection settles it (resumption's count, or a resend on a new stream). It leaves
                        // the queue, or it would be sent twice.
                        item.Written.TrySetResult(pending);
                        _ = OnAcknowledgedAsync(item, pending);
                        reader.TryRead(out _);
                        Interlocked.Decrement(ref _queued);
                    }

                    Log.SendInterrupted(_logger, Tenant, Id);
                    return;
                }
                catch (ArgumentException ex)
                {
                    // Not representable as XML: this stanza can never be sent, so it must not block the queue.
                    item.Written.TrySetException(ex);
                    ForgetInOutbox(item.Stanza.Id!);
                    if (item.Tracked)
                    {
                        PublishStatus(_statuses.Fail(item.Stanza.Id!, "bad-request", ex.Message));
                    }
                }

                reader.TryRead(out _);
                Interlocked.Decrement(ref _queued);
                if (!reader.TryPeek(out _))
                {
                    // Caught up: ask for the acknowledgement now rather than when the next batch fills, so the
                    // last messages of a burst reach "acked" (and leave the outbox) without waiting for more traffic.
                    try
                    {
                        await client.RequestAcknowledgementAsync(cancellationToken).ConfigureAwait(false);
                    }
                    catch (XmppConnectionException)
                    {
                        return; // the stream ended; what it did not acknowledge goes to the next connection
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// The server handled the stanza (XEP-0198): its status moves to acked and it leaves the outbox. An
    /// acknowledgement that never comes (the session ended) leaves it there, to be resent after a restart.
    /// </summary>
    private async Task OnAcknowledgedAsync(OutboundItem item, Task acknowledged)
    {
        try
        {
            await acknowledged.ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Not acknowledged, for whatever reason: the stanza stays where it is.
        catch (Exception)
#pragma warning restore CA1031
        {
            return;
        }

        ForgetInOutbox(item.Stanza.Id!);
        if (item.Tracked)
        {
            PublishStatus(_statuses.Advance(item.Stanza.Id!, DeliveryStatus.Acked));
        }
    }

    /// <summary>
    /// XEP-0199 §4.2: ping the server when idle to find a connection that died silently. A resumed stream is
    /// pinged at once, and counts as unresponsive until the answer arrives: Prosody 0.12's mod_smacks keeps
    /// feeding a resumed connection into the old connection's XML parser, so when the old connection broke
    /// mid-stanza the resumed stream silently swallows everything sent on it, and resuming it again would
    /// only repeat that. A stream that ends before proving it still parses what we send is not resumed.
    /// </summary>
    private async Task KeepAliveLoopAsync(XmppClient client, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.KeepAliveInterval, _time);
        try
        {
            if (client.Resumed)
            {
                _streamUnresponsive = true;
                if (!await PingAsync(client, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }

                _streamUnresponsive = false;
            }

            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                if (!await PingAsync(client, cancellationToken).ConfigureAwait(false))
                {
                    Log.KeepAliveFailed(_logger, Tenant, Id, _options.KeepAliveTimeout);
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is XmppException or OperationCanceledException)
        {
        }
    }

    /// <summary>Pings the server; on no answer in time drops the connection, marks the stream not to be resumed and returns false.</summary>
    private async Task<bool> PingAsync(XmppClient client, CancellationToken cancellationToken)
    {
        try
        {
            await client.PingAsync(timeout: _options.KeepAliveTimeout, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (XmppTimeoutException)
        {
            _streamUnresponsive = true;
            client.Abort();
            return false;
        }
        catch (StanzaErrorException)
        {
            // RFC 6120 §8.4: a server without XEP-0199 answers service-unavailable, which still proves it is alive.
        }

        return true;
    }

    /// <summary>
    /// An IQ request nobody in the library handles: publish it for the application and wait for its answer;
    /// RFC 6120 §8.2.3 requires an answer, so after the timeout the gateway answers service-unavailable.
    /// </summary>
    private async ValueTask<XElement?> ForwardIqRequestAsync(Iq request, CancellationToken cancellationToken)
    {
        var pending = new PendingIqRequest(request);
        if (request.Id is null || !_pendingIqRequests.TryAdd(request.Id, pending))
        {
            throw new StanzaErrorException(StanzaError.Of(StanzaErrorCondition.ServiceUnavailable));
        }

        try
        {
            var answerBy = _time.GetUtcNow() + _options.IqAnswerTimeout;
            Publish((id, at) => new IqRequestReceived(Tenant, Id, id, at, request, answerBy));
            Iq answer;
            try
            {
                answer = await pending.Answer.Task.WaitAsync(_options.IqAnswerTimeout, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                Log.IqAnswerTimedOut(_logger, Tenant, Id, _options.IqAnswerTimeout);
                throw new StanzaErrorException(StanzaError.Of(StanzaErrorCondition.ServiceUnavailable));
            }

            return answer.Type == IqType.Error
                ? throw new StanzaErrorException(answer.Error ?? StanzaError.Of(StanzaErrorCondition.UndefinedCondition))
                : answer.Query;
        }
        finally
        {
            _pendingIqRequests.TryRemove(new KeyValuePair<string, PendingIqRequest>(request.Id, pending));
        }
    }

    private async Task<SendReceipt> WaitForAckAsync(OutboundItem item, CancellationToken cancellationToken)
    {
        try
        {
            var acknowledged = await item.Written.Task.WaitAsync(_options.AckTimeout, _time, cancellationToken).ConfigureAwait(false);
            if (acknowledged is null)
            {
                throw new SessionUnavailableException(Id, State, $"The server of session '{Id}' does not support XEP-0198 stream management, so it cannot acknowledge stanzas; send without wait=server.");
            }

            await acknowledged.WaitAsync(_options.AckTimeout, _time, cancellationToken).ConfigureAwait(false);
            return new SendReceipt(item.Stanza.Id!, AckedByServer: true);
        }
        catch (TimeoutException)
        {
            throw new XmppTimeoutException($"Waiting for the server to acknowledge stanza '{item.Stanza.Id}'", _options.AckTimeout);
        }
        catch (XmppConnectionException ex)
        {
            throw new SessionUnavailableException(Id, State, $"The connection of session '{Id}' dropped before the server acknowledged stanza '{item.Stanza.Id}'; it may or may not have been delivered. {ex.Message}");
        }
    }

    private async Task BackoffAsync(int attempt, string reason, string text)
    {
        var delay = _reconnectPolicy.NextDelay(attempt);
        lock (_stateGate)
        {
            _info = _info with { ReconnectAttempt = attempt };
        }

        SetState(SessionState.Reconnecting, reason, text);
        Log.SessionReconnecting(_logger, Tenant, Id, reason, attempt, delay);
        try
        {
            await Task.Delay(delay, _time, _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Fail(string reason, string text)
    {
        Log.SessionFailed(_logger, Tenant, Id, reason, text);
        SetState(SessionState.Failed, reason, text);
        FailQueued(Unavailable(SessionState.Failed));
        AbandonHandoff(SessionState.Failed);
    }

    /// <summary>Fails the pending acknowledgements of stanzas sent and not acknowledged; unless kept, they also leave the outbox.</summary>
    private void AbandonHandoff(SessionState state, bool keepQueued = false)
    {
        if (Interlocked.Exchange(ref _handoff, null) is not { } handoff)
        {
            return;
        }

        handoff.Abandon(Unavailable(state));
        if (!keepQueued)
        {
            foreach (var stanzaId in handoff.UnacknowledgedIds)
            {
                ForgetInOutbox(stanzaId);
            }
        }
    }

    /// <summary>
    /// Empties the queue for good. Each waiting caller learns the stanza was not sent; unless kept for the next
    /// gateway process, each also gets the failed status and leaves the outbox.
    /// </summary>
    private void FailQueued(Exception exception, bool keepQueued = false)
    {
        _outbound.Writer.TryComplete();
        while (_outbound.Reader.TryRead(out var item))
        {
            Interlocked.Decrement(ref _queued);
            item.Written.TrySetException(exception);
            if (keepQueued)
            {
                continue;
            }

            ForgetInOutbox(item.Stanza.Id!);
            if (item.Tracked)
            {
                PublishStatus(_statuses.Fail(item.Stanza.Id!, "session-ended", exception.Message));
            }
        }
    }

    private void SetState(SessionState state, string? reason, string? text)
    {
        lock (_stateGate)
        {
            if (_info.State == state && _info.Reason == reason)
            {
                return;
            }

            if (_info.State is SessionState.Stopped || (_info.State is SessionState.Failed && state is not SessionState.Stopped))
            {
                return; // Terminal states stay.
            }

            _info = _info with { State = state, StateSince = _time.GetUtcNow(), Reason = reason, ReasonText = text };
        }

        Log.SessionStateChanged(_logger, Tenant, Id, state);
        Publish((id, at) => new SessionStateChanged(Tenant, Id, id, at, state, reason, text));
    }

    private void Publish(Func<long, DateTimeOffset, SessionEvent> create)
    {
        // Numbered and published under one lock so event ids reach the pool channel in order.
        lock (_stateGate)
        {
            _pool.Publish(create(++_lastEventId, _time.GetUtcNow()));
        }
    }

    private void ThrowIfTerminal()
    {
        var state = State;
        if (state is SessionState.Stopped or SessionState.Failed)
        {
            throw Unavailable(state);
        }
    }

    private SessionUnavailableException Unavailable(SessionState state)
    {
        var info = Info;
        return new SessionUnavailableException(Id, state,
            $"Session '{Id}' is {state.ToString().ToLowerInvariant()}{(info.Reason is null ? "" : $" ({info.Reason})")}; it no longer sends.");
    }

    private TimeSpan RetryAfter() =>
        State == SessionState.Reconnecting ? _reconnectPolicy.Ceiling(Info.ReconnectAttempt + 1) : TimeSpan.FromSeconds(1);

    private XmppClientOptions ClientOptions() => new()
    {
        Jid = _spec.Jid.Bare,
        Password = _spec.Password,
        Resource = _spec.Resource ?? _spec.Jid.Resource,
        Host = _spec.Host,
        Port = _spec.Port,
        TlsMode = _spec.TlsMode,
        TrustedCertificates = _options.TrustedCertificates,
        PinnedCertificateSha256 = _spec.PinnedCertificateSha256.IsDefaultOrEmpty ? null : _spec.PinnedCertificateSha256,
        ConnectTimeout = _options.ConnectTimeout,
        IqTimeout = _options.IqTimeout,
        SoftwareName = _options.SoftwareName,
        EnableStreamResumption = true,
        KeepUnacknowledgedOnDisconnect = true,
    };

    /// <summary>Maps a failure to the session's reason code: the XMPP condition where there is one.</summary>
    internal static (string Reason, string Text) Describe(XmppException exception) => exception switch
    {
        SaslFailedException sasl => (sasl.Condition, sasl.Message),
        StreamErrorException stream => (stream.Condition.ToWire(), stream.Message),
        XmppTlsException tls => ("tls-failed", tls.Message),
        XmppTimeoutException timeout => ("timeout", timeout.Message),
        XmppProtocolException protocol => (protocol.Condition.ToWire(), protocol.Message),
        _ => ("connection-lost", exception.Message),
    };

    private sealed record OutboundItem(Stanza Stanza, bool WaitForAck, bool Tracked)
    {
        /// <summary>Completes when written: with the acknowledgement task when tracked, else null.</summary>
        public TaskCompletionSource<Task?> Written { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed record PendingIqRequest(Iq Request)
    {
        public TaskCompletionSource<Iq> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
