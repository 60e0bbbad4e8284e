using System.Threading.Channels;
using Gateway.Api.Contracts;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Persistence;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace Gateway.Api.Hubs;

/// <summary>
/// One connection's subscription to one session: a bounded queue filled by the dispatch loop, and the pump that
/// writes it to the connection in order (replaying from the log where needed). <see cref="_next"/> and
/// <see cref="_write"/> are the pump's, and the loop's only while the pump sleeps (under <see cref="_gate"/>); the
/// queue's state and size change under <see cref="_gate"/>, which is never held across an await, so the loop never
/// waits on a client, a write or a log read.
/// </summary>
internal sealed class HubSubscription
{
    private const string SubscriptionEndedKind = "subscription-ended";

    private readonly SessionEventDispatcher _owner;
    private readonly Lock _gate = new();
    private readonly Queue<QueuedEvent> _queue = new();

    // Rung (under _gate) only when the pump sleeps and there is something for it: an event, the end, a cancellation.
    // At most one ring is pending, and a single-reader unbounded channel waited on without a token allocates nothing.
    private readonly Channel<bool> _doorbell = Channel.CreateUnbounded<bool>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private bool _pumpAsleep;

    // Cancelled by Unsubscribe, a replacing Subscribe, the connection closing, or the dispatcher stopping. Never
    // linked (its registrations are disposed with the pump), so it needs no disposal of its own.
    private readonly CancellationTokenSource _cancellation = new();
    private readonly CancellationToken _token;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private HubSubscriptionState _state = HubSubscriptionState.Replaying;
    private long _queuedBytes;
    private (int Events, long Bytes) _overflow;

    // A write the loop started for the sleeping pump that did not complete at once; the pump sees it through.
    private (ValueTask Write, SessionEvent Event)? _handedOver;

    private CancellationTokenSource _write;
    private long _next;
    private bool _resync;
    private volatile bool _live;

    public HubSubscription(SessionEventDispatcher owner, HubConnectionContext connection, string tenant, string sessionId, long next)
    {
        _owner = owner;
        Connection = connection;
        Tenant = tenant;
        SessionId = sessionId;
        _next = next;
        _token = _cancellation.Token;
        _write = CancellationTokenSource.CreateLinkedTokenSource(_token);
    }

    public HubConnectionContext Connection { get; }

    public string ConnectionId => Connection.ConnectionId;

    public IHubProtocol Protocol => Connection.Protocol;

    public string Tenant { get; }

    public string SessionId { get; }

    /// <summary>Replay done, live events flowing.</summary>
    public bool IsLive => _live;

    /// <summary>Completes when the pump has stopped; never faults.</summary>
    public Task Completion => _completion.Task;

    /// <summary>
    /// Starts the pump once <paramref name="previous"/> (the same connection and session's former subscription) has
    /// stopped. The pump never throws; its end is observed through <see cref="Completion"/>, which the dispatcher
    /// awaits when it stops.
    /// </summary>
    public void Start(EventPage? first, HubSubscription? previous) => _ = Task.Run(() => RunAsync(first, previous), CancellationToken.None);

    public void Cancel()
    {
        _cancellation.Cancel();

        // The pump sleeps without a token (so that its wait allocates nothing): wake it to see the cancellation.
        // It checks the token under _gate before it sleeps, so it either sees it or is woken here.
        lock (_gate)
        {
            WakePumpLocked();
        }
    }

    /// <summary>Called by the dispatch loop only: queues a live event, or ends the subscription when the queue is full.</summary>
    public void Offer(SessionEvent e, SerializedHubMessage message, int bytes)
    {
        var options = _owner.Options;
        lock (_gate)
        {
            if (_state != HubSubscriptionState.Live)
            {
                return;
            }

            // The byte bound counts the events behind the next one to write: that one is as good as being written,
            // and a large event followed at once by another must not end a subscriber that keeps up.
            var waiting = _queue.Count;
            var behindNext = waiting == 0 ? 0 : _queuedBytes - _queue.Peek().Bytes;
            if (waiting >= options.SubscriptionQueueEvents || (waiting > 0 && behindNext + bytes > options.SubscriptionQueueBytes))
            {
                // Falling behind: end here rather than buffer without bound or wait (which would hold up every other
                // subscriber). What is queued is dropped, the log keeps it; the pump tells the client where to resume.
                _state = HubSubscriptionState.Ended;
                _overflow = (waiting + 1, _queuedBytes + bytes);
                DropQueueLocked();
                WakePumpLocked();
                return;
            }

            if (_pumpAsleep && waiting == 0 && _handedOver is null && !_resync && e.EventId == _next)
            {
                WriteForSleepingPumpLocked(e, message);
                return;
            }

            _queue.Enqueue(new(e, message, bytes));
            _queuedBytes += bytes;
            WakePumpLocked();
        }
    }

    /// <summary>
    /// The pump sleeps, everything before this event is written, nothing is queued: the loop writes the event itself
    /// and saves waking the pump (a thread hop per subscriber per event). SignalR writes to the connection's own
    /// buffer without waiting when it has room, the usual case; a write that has to wait (a full buffer, another
    /// write in progress) is handed to the pump, which sees it through, bounded by SendTimeout, as any other. So the
    /// loop still never waits on a connection.
    /// </summary>
    private void WriteForSleepingPumpLocked(SessionEvent e, SerializedHubMessage message)
    {
        // While the pump sleeps it leaves _next and _write alone, and it takes _gate before it touches them again.
        _next = e.EventId + 1;
        ValueTask write;
        try
        {
            write = Connection.WriteAsync(message, _write.Token);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            HubLog.DispatchFailed(_owner.Logger, SessionEventDispatcher.KindOf(e), e.EventId, Tenant, SessionId, ConnectionId, ex);
            return;
        }

        if (write.IsCompletedSuccessfully)
        {
            write.GetAwaiter().GetResult();
            HubLog.Dispatched(_owner.Logger, SessionEventDispatcher.KindOf(e), e.EventId, Tenant, SessionId, ConnectionId);
            return;
        }

        _handedOver = (write, e);
        WakePumpLocked();
    }

    private async Task RunAsync(EventPage? first, HubSubscription? previous)
    {
        using var stopping = _owner.StoppingToken.UnsafeRegister(static s => ((HubSubscription)s!).Cancel(), this);
        using var closed = Connection.ConnectionAborted.UnsafeRegister(static s => ((HubSubscription)s!).Cancel(), this);
        try
        {
            if (previous is not null)
            {
                await previous.Completion;
            }

            _token.ThrowIfCancellationRequested();
            await ReplayAsync(first, trigger: null);
            await PumpAsync();
        }
        catch (OperationCanceledException) when (_token.IsCancellationRequested)
        {
            // Unsubscribed, replaced, disconnected or shutting down.
        }
        catch (SendTimedOutException)
        {
            // The connection took nothing for SendTimeout, so it is not reading and no message (not even
            // OnSubscriptionEnded) would reach the client. Closing it is what the client still learns of: its
            // Closed event, after which it reconnects and resumes each session with SubscribeAfter and its last id.
            // Every other subscription of the connection is stuck behind the same buffers and ends with it.
            Connection.Abort();
        }
        catch (Exception ex)
        {
            HubLog.PumpFailed(_owner.Logger, ConnectionId, Tenant, SessionId, ex);
        }
        finally
        {
            lock (_gate)
            {
                _state = HubSubscriptionState.Ended;
                DropQueueLocked();
            }

            _write.Dispose();
            _owner.Completed(this);
            _completion.TrySetResult();
        }
    }

    /// <summary>Writes queued live events in order until the loop ends the subscription; then says so to the client.</summary>
    private async Task PumpAsync()
    {
        while (true)
        {
            QueuedEvent item = default;
            (ValueTask Write, SessionEvent Event)? handedOver = null;
            var asleep = false;
            lock (_gate)
            {
                _token.ThrowIfCancellationRequested();
                if (_handedOver is not null)
                {
                    (handedOver, _handedOver) = (_handedOver, null);
                }
                else if (_state == HubSubscriptionState.Ended)
                {
                    // The loop found the queue full (and dropped it: the log keeps those events).
                    break;
                }
                else if (_queue.TryDequeue(out item))
                {
                    _queuedBytes -= item.Bytes;
                }
                else
                {
                    // Whoever gives the pump work next rings (once) and clears this.
                    asleep = _pumpAsleep = true;
                }
            }

            if (handedOver is { } started)
            {
                // The loop wrote this one (it was next, nothing was queued before it) and the write has to wait.
                await CompleteWriteAsync(started.Write, SessionEventDispatcher.KindOf(started.Event), started.Event.EventId);
                continue;
            }

            if (asleep)
            {
                await _doorbell.Reader.ReadAsync();
                continue;
            }

            var id = item.Event.EventId;
            if (id < _next)
            {
                // Already delivered by a replay.
                continue;
            }

            if (id > _next && !_resync)
            {
                // Ids were skipped: the pool dropped events this subscriber has not had. Read them from the log.
                HubLog.ReplayingGap(_owner.Logger, ConnectionId, Tenant, SessionId, _next, id);
                if (TrySetState(HubSubscriptionState.Replaying))
                {
                    await ReplayAsync(first: null, trigger: item.Event);
                }

                continue;
            }

            _resync = false;
            await WriteAsync(item.Message, SessionEventDispatcher.KindOf(item.Event), id, item.Bytes);
            _next = id + 1;
        }

        await EndAsync();
    }

    /// <summary>
    /// Writes the subscription's missed events from the log, in order, until it has caught up; then hands it back to
    /// live delivery. <paramref name="trigger"/>: a live event known to exist (it revealed a gap), written here if the
    /// log does not have it, so a subscription can never stall.
    /// </summary>
    private async Task ReplayAsync(EventPage? first, SessionEvent? trigger)
    {
        try
        {
            var page = first;
            var live = false;
            while (!IsEnded)
            {
                page ??= await ReadAfterAsync();
                if (!HasNew(page, _next))
                {
                    if (live)
                    {
                        break;
                    }

                    // Caught up, as far as the log says. From now on the loop queues live events; the log is read
                    // once more for those it handed out before that (it journals every event before handing it out,
                    // and _gate orders its check of the state before or after this switch).
                    if (!TrySetState(HubSubscriptionState.Live))
                    {
                        return;
                    }

                    live = true;
                    page = null;
                    continue;
                }

                // One page at a time, each written before the next is read: a replay holds one page, not the backlog.
                foreach (var e in page.Events)
                {
                    if (e.EventId < _next)
                    {
                        continue;
                    }

                    _token.ThrowIfCancellationRequested();
                    if (HubMessages.ForEvent(e) is { } message)
                    {
                        await WriteAsync(message, SessionEventDispatcher.KindOf(e), e.EventId);
                    }

                    _next = e.EventId + 1;
                }

                page = null;
            }
        }
        catch (Exception ex) when (ex is not SendTimedOutException && !(ex is OperationCanceledException && _token.IsCancellationRequested))
        {
            // The log could not be read: deliver live events again rather than none, taking the next one whatever
            // its id; the client sees the gap in ids.
            HubLog.ReplayFailed(_owner.Logger, ConnectionId, Tenant, SessionId, ex);
            if (!TrySetState(HubSubscriptionState.Live))
            {
                return;
            }

            _resync = true;
        }

        if (IsEnded)
        {
            return;
        }

        if (trigger is not null && trigger.EventId >= _next && HubMessages.ForEvent(trigger) is { } pending)
        {
            await WriteAsync(pending, SessionEventDispatcher.KindOf(trigger), trigger.EventId);
            _next = trigger.EventId + 1;
        }

        _live = true;
    }

    /// <summary>Tells the client its subscription ended and where to resume; the last write of the pump.</summary>
    /// <remarks>
    /// Why a client method rather than closing the connection (with a close message that allows reconnecting): a
    /// connection often carries several sessions' subscriptions, and only this one fell behind (its session is the
    /// busy one); closing would end them all and make the client resubscribe to each, and a close message is written
    /// behind the same backlog anyway. This message is written after the events already written, so when the client
    /// reads it, it has exactly the events up to <c>lastEventId</c>, with no guessing about what was in flight.
    /// Closing is kept for a connection that takes nothing at all (<see cref="GatewayHubOptions.SendTimeout"/>),
    /// which no message would reach.
    /// </remarks>
    private async Task EndAsync()
    {
        (int Events, long Bytes) overflow;
        lock (_gate)
        {
            overflow = _overflow;
        }

        var options = _owner.Options;
        var last = _next - 1;
        HubLog.SlowConsumer(_owner.Logger, ConnectionId, Tenant, SessionId, overflow.Events, overflow.Bytes, options.SubscriptionQueueEvents, options.SubscriptionQueueBytes, last);

        // Written behind the events already written, so the client has everything up to `last` when it reads this.
        await WriteAsync(HubMessages.SubscriptionEnded(new(SessionId, SubscriptionEndReasons.SlowConsumer, last)), SubscriptionEndedKind, last);
    }

    /// <summary>
    /// Writes one message to the connection, bounded by <see cref="GatewayHubOptions.SendTimeout"/>. Returns its size
    /// as serialised for the connection. A failed write is logged and skipped (the client sees the gap in ids);
    /// a timed-out one throws <see cref="SendTimedOutException"/>. <paramref name="serialisedBytes"/>: the size when
    /// the message is already serialised for this connection's protocol (live events: by the dispatch loop).
    /// </summary>
    private async ValueTask<int> WriteAsync(SerializedHubMessage message, string kind, long eventId, int? serialisedBytes = null)
    {
        int bytes;
        try
        {
            // Serialise here, not inside SignalR: a message it cannot serialise makes SignalR close the connection.
            bytes = serialisedBytes ?? message.GetSerializedMessage(Protocol).Length;
        }
        catch (Exception ex)
        {
            HubLog.DispatchFailed(_owner.Logger, kind, eventId, Tenant, SessionId, ConnectionId, ex);
            return 0;
        }

        ValueTask write;
        try
        {
            write = Connection.WriteAsync(message, _write.Token);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            HubLog.DispatchFailed(_owner.Logger, kind, eventId, Tenant, SessionId, ConnectionId, ex);
            return bytes;
        }

        await CompleteWriteAsync(write, kind, eventId);
        return bytes;
    }

    /// <summary>Sees a started write through: see <see cref="WriteAsync"/>.</summary>
    private async ValueTask CompleteWriteAsync(ValueTask write, string kind, long eventId)
    {
        try
        {
            if (!write.IsCompleted)
            {
                // Only a write that waits (the connection's buffers are full) needs the timer.
                _write.CancelAfter(_owner.Options.SendTimeout);
            }

            await write;
        }
        catch (OperationCanceledException) when (!_token.IsCancellationRequested)
        {
            HubLog.DispatchTimedOut(_owner.Logger, kind, eventId, Tenant, SessionId, ConnectionId, _owner.Options.SendTimeout);
            throw new SendTimedOutException();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            HubLog.DispatchFailed(_owner.Logger, kind, eventId, Tenant, SessionId, ConnectionId, ex);
            return;
        }
        finally
        {
            // Stops the timer for the next write. It fails only once cancelled: by the subscription (the pump is
            // ending), or by a timer that fired as the write completed (then a fresh source for the next one).
            if (!_write.TryReset() && !_token.IsCancellationRequested)
            {
                _write.Dispose();
                _write = CancellationTokenSource.CreateLinkedTokenSource(_token);
            }
        }

        HubLog.Dispatched(_owner.Logger, kind, eventId, Tenant, SessionId, ConnectionId);
    }

    private async Task<EventPage> ReadAfterAsync()
    {
        var page = await _owner.Pool.ReadHistoryAsync(Tenant, SessionId, _next - 1, _owner.ReplayPageSize, _owner.ReplayPageBytes, _token);
        if (page.Gap && page.Events.Count > 0 && page.Events[0].EventId > _next)
        {
            // Retention dropped some while we were behind: the client sees the gap in ids.
            HubLog.ReplayGap(_owner.Logger, ConnectionId, Tenant, SessionId, _next, page.Events[0].EventId);
        }

        return page;
    }

    private static bool HasNew(EventPage page, long next) => page.Events.Count > 0 && page.Events[^1].EventId >= next;

    private bool IsEnded
    {
        get
        {
            lock (_gate)
            {
                return _state == HubSubscriptionState.Ended;
            }
        }
    }

    private void WakePumpLocked()
    {
        if (_pumpAsleep)
        {
            _pumpAsleep = false;
            _doorbell.Writer.TryWrite(true);
        }
    }

    private void DropQueueLocked()
    {
        _queue.Clear();
        _queuedBytes = 0;
    }

    /// <summary>Moves between replaying and live; false once ended, which is final.</summary>
    private bool TrySetState(HubSubscriptionState state)
    {
        lock (_gate)
        {
            if (_state == HubSubscriptionState.Ended)
            {
                return false;
            }

            _state = state;
            _live = false;
            if (state == HubSubscriptionState.Replaying)
            {
                // The replay reads these from the log.
                DropQueueLocked();
            }

            return true;
        }
    }
}
