using System.Threading.Channels;
using Gateway.Xmpp.Diagnostics;
using Gateway.Xmpp.Pool.Journal;
using Gateway.Xmpp.Pool.Persistence;
using Gateway.Xmpp.StreamManagement;
using Microsoft.Extensions.Logging;

namespace Gateway.Xmpp.Pool;

/// <summary>
/// A session's outgoing stanzas between the caller and the connection: admission (a bounded number queued), the outbox
/// (an accepted stanza is stored before its caller hears so, and leaves once the server acknowledged it), and the
/// queue the <see cref="OutboundSender"/> drains. Outlives every connection.
/// </summary>
internal sealed class OutboundQueue
{
    private readonly string _tenant;
    private readonly string _sessionId;
    private readonly SessionPoolOptions _options;
    private readonly SessionJournal _journal;
    private readonly DeliveryTracker _delivery;
    private readonly bool _durable;
    private readonly Func<string?> _archivePosition;
    private readonly Func<TimeSpan> _retryAfter;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ByteBudget? _budget;
    private readonly XmppMetrics? _metrics;
    private readonly Channel<OutboundItem> _items = Channel.CreateUnbounded<OutboundItem>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Sends enter the queue in the order they were admitted, whatever order their store writes finish in.</summary>
    private readonly AcceptanceOrder _order = new();

    private readonly Func<OutboundItem, bool> _enqueue;

    /// <summary>Replies queued and not yet written: receipts beyond <see cref="ReplyCapacity"/> are dropped.</summary>
    private int _replies;

    /// <summary>Taken from the queue but not written (the connection ended first): sent first next time. The sender's alone.</summary>
    private readonly List<OutboundItem> _putBack = [];

    /// <summary>When each written, unacknowledged stanza was accepted: what a lookup in the archive needs when its fate becomes unknown.</summary>
    /// <remarks>Grows with the traffic; an idle session holds one lock and a few buckets, not a lock per core and 31 buckets.</remarks>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SentPosition> _unacknowledged = new(concurrencyLevel: 1, capacity: 4, StringComparer.Ordinal);

    /// <summary>Completes when the last unacknowledged stanza is settled; only while someone waits for that.</summary>
    private TaskCompletionSource? _settled;

    /// <summary>Completes when fewer than <see cref="_window"/> stanzas await acknowledgement; only while the sender waits for that.</summary>
    private TaskCompletionSource? _windowOpened;
    private int _window;

    /// <summary>Where a send to an online session with a long queue waits for its turn.</summary>
    private readonly SendPacer _pacer;

    /// <summary>Items in <see cref="_items"/> (an unbounded single-reader channel cannot count them itself).</summary>
    private int _inChannel;

    /// <summary>Stanzas admitted and not yet taken off the queue: the capacity check, made before the outbox write.</summary>
    private int _queued;

    private const int ReplyCapacity = 1_024;

    public OutboundQueue(string tenant, string sessionId, SessionPoolOptions options, SessionJournal journal, DeliveryTracker delivery, bool durable, Func<string?> archivePosition, Func<TimeSpan> retryAfter, TimeProvider time, ILogger logger, ByteBudget? budget = null, XmppMetrics? metrics = null)
    {
        _budget = budget;
        _metrics = metrics;
        _tenant = tenant;
        _sessionId = sessionId;
        _options = options;
        _journal = journal;
        _delivery = delivery;
        _durable = durable;
        _archivePosition = archivePosition;
        _retryAfter = retryAfter;
        _time = time;
        _logger = logger;
        _pacer = new SendPacer(options.PacingQueueDepth, options.PacingMaxWait, time, () => Waiting);
        _enqueue = item =>
        {
            if (!_items.Writer.TryWrite(item))
            {
                return false;
            }

            Interlocked.Increment(ref _inChannel);
            return true;
        };
    }

    /// <summary>Stanzas waiting to be written.</summary>
    public int Count => Math.Max(0, Volatile.Read(ref _queued));

    /// <summary>Whether stanzas are stored until acknowledged (a durable outbox), so a restart resends them.</summary>
    public bool IsDurable => _durable;

    internal ChannelReader<OutboundItem> Items => _items.Reader;


    /// <summary>
    /// Admits, stores and queues a stanza, then returns its receipt: at once, or (with <paramref name="waitForAck"/>)
    /// once the server acknowledged it. Admission is decided first and synchronously, so a refusal is never stored and
    /// a stored stanza is never refused; the store write is not cancelled with the request, so a stanza is either
    /// stored and queued, or neither.
    /// </summary>
    /// <exception cref="OutboundQueueFullException">The queue is full.</exception>
    /// <exception cref="SessionUnavailableException">The session no longer sends, or the stanza could not be stored.</exception>
    /// <exception cref="ArgumentException">The stanza holds characters XML cannot carry.</exception>
    public Task<SendReceipt> AcceptAsync(Stanza stanza, bool waitForAck, bool tracked, Func<SessionUnavailableException> unavailable, CancellationToken cancellationToken)
    {
        // Serialised once, here: the outbox stores these bytes and the connection writes them (and a stanza XML cannot
        // carry is refused at once, before it is admitted).
        var serialized = Protocol.StanzaSerializer.ToBytes(stanza);

        // Refused synchronously, not as a faulted task: an idempotent send remembers the task it gets, and a refusal
        // that sent nothing must not be remembered (its retry has to try again).
        if (serialized.Length > _options.MaxStanzaBytes)
        {
            // A server ends the stream on a stanza over its limit (RFC 6120 §4.9.3.12 policy-violation, Prosody's
            // c2s_stanza_size_limit): refused here, it costs the caller a 413 instead of the session a reconnect.
            throw new StanzaTooLargeException(serialized.Length, _options.MaxStanzaBytes);
        }

        if (Interlocked.Increment(ref _queued) > _options.OutboundQueueCapacity)
        {
            Interlocked.Decrement(ref _queued);
            throw new OutboundQueueFullException(_sessionId, _options.OutboundQueueCapacity, _retryAfter());
        }

        if (_budget is not null && !_budget.TryReserve(serialized.Length))
        {
            Interlocked.Decrement(ref _queued);
            throw OutboundQueueFullException.TenantBudget(_tenant, _budget.Capacity, _retryAfter());
        }

        var item = new OutboundItem(stanza, waitForAck, tracked, _time.GetUtcNow()) { AdmittedAt = _time.GetTimestamp(), Serialized = serialized, ArchiveCursor = _archivePosition(), BudgetBytes = _budget is null ? 0 : serialized.Length, Activity = XmppActivities.StartOutbound(_tenant, _sessionId, stanza) };
        return AcceptAdmittedAsync(item, unavailable, cancellationToken);
    }

    /// <summary>The rest of <see cref="AcceptAsync"/>, once admitted (counted in <see cref="_queued"/>).</summary>
    private async Task<SendReceipt> AcceptAdmittedAsync(OutboundItem item, Func<SessionUnavailableException> unavailable, CancellationToken cancellationToken)
    {
        var stanza = item.Stanza;
        var waitForAck = item.WaitForAck;
        var tracked = item.Tracked;
        var turn = _pacer.WaitForTurnAsync(cancellationToken);
        var paced = !turn.IsCompleted;
        if (paced)
        {
            try
            {
                await turn.ConfigureAwait(false);
            }
            catch
            {
                // Not stored, not queued: the caller went away while it waited.
                Interlocked.Decrement(ref _queued);
                ReleaseBudget(item);
                XmppActivities.OnFailed(item.Activity, "cancelled");
                throw;
            }
        }

        var ticket = _order.Take();
        try
        {
            await StoreAsync(item, unavailable, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            if (paced)
            {
                _pacer.GaveUp();
            }

            Interlocked.Decrement(ref _queued);
            ReleaseBudget(item);
            XmppActivities.OnFailed(item.Activity, "not-stored");
            await _order.FinishAsync(ticket, null, _enqueue).ConfigureAwait(false);
            throw;
        }

        if (tracked)
        {
            _delivery.Track(item.Id, stanza.To);
        }

        if (!await _order.FinishAsync(ticket, item, _enqueue).ConfigureAwait(false))
        {
            // Only a stopped or failed session's queue refuses.
            Interlocked.Decrement(ref _queued);
            Forget(item);
            XmppActivities.OnFailed(item.Activity, "session-ended");
            throw unavailable();
        }

        XmppActivities.OnQueued(item.Activity);

        return waitForAck
            ? await WaitForAckAsync(item, unavailable, cancellationToken).ConfigureAwait(false)
            : new SendReceipt(item.Id, AckedByServer: false);
    }

    /// <summary>Stanzas in the queue, not yet taken by the sender.</summary>
    private int Waiting => Volatile.Read(ref _inChannel);

    /// <summary>A connection's sender starts or stops draining the queue (pacing applies only while one does).</summary>
    internal void SetDraining(bool draining) => _pacer.SetDraining(draining);

    /// <summary>How many more stanzas may be written before the window of unacknowledged ones is full (at least 0).</summary>
    internal int WindowRoom(int window) => Math.Max(0, window - _unacknowledged.Count);

    /// <summary>Completes once fewer than <paramref name="window"/> written stanzas await the server's acknowledgement.</summary>
    internal Task WaitForWindowAsync(int window, CancellationToken cancellationToken)
    {
        lock (_unacknowledged)
        {
            if (_unacknowledged.Count < window)
            {
                return Task.CompletedTask;
            }

            _window = window;
            _windowOpened ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _windowOpened.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>In the outbox (when durable) before its caller hears it was accepted; within the journal's bound.</summary>
    private async Task StoreAsync(OutboundItem item, Func<SessionUnavailableException> unavailable, CancellationToken cancellationToken)
    {
        await _journal.WaitForCapacityAsync(cancellationToken).ConfigureAwait(false);
        if (!_durable)
        {
            _journal.ReleaseCapacity();
            return;
        }

        var entry = new OutboxEntry(_tenant, _sessionId, item.Stanza, item.WaitForAck, item.AcceptedAt) { ArchiveCursor = item.ArchiveCursor, SerializedStanza = item.Serialized };
        try
        {
            await _journal.AddToOutboxAsync(entry, alongside: null, reserved: true).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not XmppException)
        {
            Log.OutboxFailed(_logger, _tenant, _sessionId, ex);
            throw new SessionUnavailableException(_sessionId, unavailable().State, $"Session '{_sessionId}' could not store the stanza for sending; nothing was sent. Retry later.");
        }
    }

    /// <summary>
    /// The stanzas an earlier gateway process accepted and the server never acknowledged, as a handoff for the first
    /// connection: it finds out which ones the server already has and sends the others before anything new.
    /// </summary>
    public StreamHandoff Requeue(IReadOnlyList<OutboxEntry> entries)
    {
        var handoff = StreamHandoff.ForUnconfirmed(entries.Select(e => e.Stanza), out var acknowledgements);
        for (var i = 0; i < entries.Count; i++)
        {
            var item = new OutboundItem(entries[i].Stanza, WaitForAck: false, Tracked: IsTracked(entries[i].Stanza), entries[i].AcceptedAt) { ArchiveCursor = entries[i].ArchiveCursor };
            if (item.Tracked)
            {
                _delivery.Track(item.Id, item.Stanza.To);
            }

            HandedOver(item, acknowledgements[i]);
        }

        return handoff;
    }

    /// <summary>
    /// Queues a reply that is not a caller's send (e.g. a XEP-0184 receipt): not stored, not counted against the
    /// capacity, and dropped when too many wait (a receipt may go unanswered, XEP-0184 §5).
    /// </summary>
    public void EnqueueReply(Stanza reply)
    {
        if (Interlocked.Increment(ref _replies) > ReplyCapacity || !_enqueue(new OutboundItem(reply, WaitForAck: false, Tracked: false, _time.GetUtcNow(), IsReply: true)))
        {
            Interlocked.Decrement(ref _replies);
        }
    }

    /// <summary>Messages with a body get a delivery status (not errors, and not groupchat, whose echo is no receipt).</summary>
    public static bool IsTracked(Stanza stanza) =>
        stanza is Message { Type: not (MessageType.Error or MessageType.Groupchat) } message && message.Body is not null;

    /// <summary>Takes up to <paramref name="max"/> queued stanzas, those put back first. For the sender only.</summary>
    internal void Take(List<OutboundItem> into, int max)
    {
        var fromPutBack = Math.Min(max, _putBack.Count);
        into.AddRange(_putBack.GetRange(0, fromPutBack));
        _putBack.RemoveRange(0, fromPutBack);
        var taken = 0;
        while (into.Count < max && _items.Reader.TryRead(out var item))
        {
            Interlocked.Decrement(ref _inChannel);
            into.Add(item);
            taken++;
        }

        _pacer.Taken(taken);
    }

    /// <summary>Whether anything waits to be written.</summary>
    internal bool HasWaiting => _putBack.Count > 0 || _items.Reader.TryPeek(out _);

    /// <summary>Stanzas taken but not written: first in line next time. For the sender only.</summary>
    internal void PutBack(List<OutboundItem> items) => _putBack.InsertRange(0, items);

    /// <summary>
    /// Written on the connection: the status moves to sent, and the stanza leaves the queue's count; with XEP-0198 it
    /// leaves the outbox when the server acknowledges it, without it at once (nothing better than "written" will come).
    /// </summary>
    internal void OnWritten(OutboundItem item, Task? acknowledgement)
    {
        var writtenAt = _time.GetTimestamp();
        if (_metrics is { } metrics)
        {
            metrics.Sent(item.Stanza);
            if (item.AdmittedAt != 0)
            {
                metrics.HandedOff(_time.GetElapsedTime(item.AdmittedAt, writtenAt));
            }
        }

        XmppActivities.OnWritten(item.Activity, acknowledgement is not null);
        HandedOver(item, acknowledgement, writtenAt);
    }

    /// <summary>
    /// Written, or handed to a connection that settles it (<see cref="Requeue"/>): what <see cref="OnWritten"/> says.
    /// <paramref name="writtenAt"/>: when it was written (the queue clock's timestamp), 0 when handed over unwritten.
    /// </summary>
    private void HandedOver(OutboundItem item, Task? acknowledgement, long writtenAt = 0)
    {
        item.Written.TrySetResult(acknowledgement);
        if (item.IsReply)
        {
            return;
        }

        if (item.Tracked)
        {
            _delivery.Sent(item.Id);
        }

        if (acknowledgement is null)
        {
            Forget(item);
        }
        else
        {
            _unacknowledged[item.Id] = new SentPosition(item.AcceptedAt, item.ArchiveCursor);
            _ = OnAcknowledgedAsync(item, acknowledgement, writtenAt);
        }
    }

    /// <summary>When and after which archive id a written stanza that awaits its acknowledgement was accepted; null when unknown.</summary>
    public SentPosition? PositionOf(string stanzaId) => _unacknowledged.TryGetValue(stanzaId, out var at) ? at : null;

    /// <summary>Written stanzas awaiting the server's acknowledgement (for the metrics, read when collected).</summary>
    public int UnacknowledgedCount => _unacknowledged.Count;

    /// <summary>Whether written stanzas still await the server's acknowledgement.</summary>
    public bool HasUnacknowledged => !_unacknowledged.IsEmpty;

    /// <summary>Completes once no written stanza awaits its acknowledgement (e.g. for a graceful stop).</summary>
    public Task WaitUntilAcknowledgedAsync(CancellationToken cancellationToken)
    {
        lock (_unacknowledged)
        {
            if (_unacknowledged.IsEmpty)
            {
                return Task.CompletedTask;
            }

            _settled ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _settled.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>A stanza was acknowledged or given up: it no longer awaits its acknowledgement.</summary>
    private void Settled(string stanzaId)
    {
        _unacknowledged.TryRemove(stanzaId, out _);
        if (Volatile.Read(ref _windowOpened) is not null)
        {
            lock (_unacknowledged)
            {
                if (_windowOpened is not null && _unacknowledged.Count < _window)
                {
                    _windowOpened.TrySetResult();
                    _windowOpened = null;
                }
            }
        }

        if (_unacknowledged.IsEmpty)
        {
            // A waiter checks emptiness under the same lock: it either sees this removal or is completed here.
            lock (_unacknowledged)
            {
                if (_unacknowledged.IsEmpty)
                {
                    _settled?.TrySetResult();
                    _settled = null;
                }
            }
        }
    }

    /// <summary>Taken off the queue (written, handed over or dropped).</summary>
    internal void Taken(IReadOnlyList<OutboundItem> items)
    {
        var replies = 0;
        foreach (var item in items)
        {
            replies += item.IsReply ? 1 : 0;
        }

        Interlocked.Add(ref _replies, -replies);
        Interlocked.Add(ref _queued, replies - items.Count);
    }

    /// <summary>Can never be sent (XML cannot carry it): out of the queue and the outbox, failed.</summary>
    internal async Task RejectAsync(OutboundItem item, ArgumentException reason)
    {
        item.Written.TrySetException(reason);
        XmppActivities.OnFailed(item.Activity, "bad-request");
        if (item.IsReply)
        {
            return;
        }

        Forget(item);
        if (item.Tracked)
        {
            await _delivery.FailedAsync(item.Id, "bad-request", reason.Message).ConfigureAwait(false);
        }
    }

    /// <summary>No more stanzas are admitted (the session stops or failed).</summary>
    public void Close() => _items.Writer.TryComplete();

    /// <summary>
    /// Empties the queue for good. Each waiting caller learns the stanza was not sent; unless kept for the next gateway
    /// process (<paramref name="keep"/>, with a durable outbox), each also gets the failed status and leaves the outbox.
    /// </summary>
    public async Task DrainAsync(Exception reason, bool keep)
    {
        Close();
        var left = new List<OutboundItem>(_putBack);
        _putBack.Clear();
        while (_items.Reader.TryRead(out var item))
        {
            Interlocked.Decrement(ref _inChannel);
            left.Add(item);
        }

        Taken(left);
        foreach (var item in left)
        {
            item.Written.TrySetException(reason);
            if (item.IsReply || (keep && _durable))
            {
                XmppActivities.OnKept(item.Activity);
                // Kept in the outbox for the next process, but no longer this one's to hold.
                ReleaseBudget(item);
                continue;
            }

            Forget(item);
            XmppActivities.OnFailed(item.Activity, "session-ended");
            if (item.Tracked)
            {
                await _delivery.FailedAsync(item.Id, "session-ended", reason.Message).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Waits for the acknowledgement: the status moves to acked and the stanza leaves the outbox. One that never comes
    /// (the session ended and the handoff was kept for a restart) leaves it there, to be settled by the next process;
    /// one that fails (the session gave up) fails the message.
    /// </summary>
    private async Task OnAcknowledgedAsync(OutboundItem item, Task acknowledgement, long writtenAt)
    {
        try
        {
            await acknowledgement.ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Not acknowledged, for whatever reason: the message failed; the outbox forgets it.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Settled(item.Id);
            Forget(item);
            XmppActivities.OnFailed(item.Activity, "not-acknowledged");
            if (item.Tracked)
            {
                await _delivery.FailedAsync(item.Id, "session-ended", ex.Message).ConfigureAwait(false);
            }

            return;
        }

        Settled(item.Id);
        Forget(item);
        _metrics?.Acknowledged(writtenAt == 0 ? null : _time.GetElapsedTime(writtenAt));
        XmppActivities.OnAcked(item.Activity);
        if (item.Tracked)
        {
            await _delivery.AckedAsync(item.Id).ConfigureAwait(false);
        }
    }

    private async Task<SendReceipt> WaitForAckAsync(OutboundItem item, Func<SessionUnavailableException> unavailable, CancellationToken cancellationToken)
    {
        try
        {
            var acknowledged = await item.Written.Task.WaitAsync(_options.AckTimeout, _time, cancellationToken).ConfigureAwait(false)
                ?? throw new SessionUnavailableException(_sessionId, unavailable().State, $"The server of session '{_sessionId}' does not support XEP-0198 stream management, so it cannot acknowledge stanzas; send without wait=server.");
            await acknowledged.WaitAsync(_options.AckTimeout, _time, cancellationToken).ConfigureAwait(false);
            return new SendReceipt(item.Id, AckedByServer: true);
        }
        catch (TimeoutException)
        {
            throw new XmppTimeoutException($"Waiting for the server to acknowledge stanza '{item.Id}'", _options.AckTimeout);
        }
        catch (XmppConnectionException ex)
        {
            throw new SessionUnavailableException(_sessionId, unavailable().State, $"The connection of session '{_sessionId}' dropped before the server acknowledged stanza '{item.Id}'; it may or may not have been delivered. {ex.Message}");
        }
    }

    /// <summary>The stanza needs no resending: out of the outbox (committed with the next group commit), its bytes back in the tenant's budget.</summary>
    private void Forget(OutboundItem item)
    {
        ReleaseBudget(item);
        if (_durable)
        {
            _journal.RemoveFromOutbox(item.Id);
        }
    }

    private void ReleaseBudget(OutboundItem item)
    {
        if (item.TryReleaseBudget())
        {
            _budget!.Release(item.BudgetBytes);
        }
    }
}
