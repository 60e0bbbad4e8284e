using System.Threading.Channels;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Persistence;

namespace Gateway.Api.Events;

/// <summary>How one <see cref="EventCursor{TPayload}"/> step ended: an event to deliver, or the end of the cursor.</summary>
/// <param name="Event">The next event (null at the end).</param>
/// <param name="Payload">The event encoded for the transport (null at the end).</param>
/// <param name="Bytes">The payload's size.</param>
/// <param name="EndReason">Why the cursor ended (null while it delivers): one of <see cref="Hubs.SubscriptionEndReasons"/>.</param>
public readonly record struct CursorStep<TPayload>(SessionEvent? Event, TPayload? Payload, int Bytes, string? EndReason)
    where TPayload : class;

/// <summary>The bounds of one cursor: its live queue and its replay reads.</summary>
/// <param name="QueueEvents">Live events that may wait; one more ends the cursor as a slow consumer.</param>
/// <param name="QueueBytes">Bytes of live events that may wait behind the next one.</param>
/// <param name="PageSize">Events one replay read asks for.</param>
/// <param name="PageBytes">Stored bytes one replay read may bring (one event more when a single one is larger).</param>
public sealed record EventCursorLimits(int QueueEvents, long QueueBytes, int PageSize, long PageBytes);

/// <summary>
/// One subscriber's position in one session's events, independent of the transport: replay from the event log after a
/// given id, then live events, each delivered once and in order, with a bounded queue between the single loop that
/// hands out live events (<see cref="Offer"/>, never waits) and the subscriber that takes them (<see cref="NextAsync"/>).
/// </summary>
/// <remarks>
/// <para>
/// The cursor knows the next event id it must deliver. While it replays, the loop's live events are ignored (the pool
/// journals every event before it hands it out, so the log has them); when the log has nothing newer, the cursor turns
/// live (the loop queues from then on) and reads the log once more for what was handed out before the switch. Ids
/// below the next one are skipped, so an event that comes both ways is delivered once. A live event that skips ids (the
/// pool's buffer dropped some) turns it back to replaying. This is the hub subscription's protocol
/// (<see cref="Hubs.SessionEventDispatcher"/>), pulled by the consumer instead of pushed.
/// </para>
/// <para>
/// Ends (final, reported once by <see cref="NextAsync"/>): the queue would exceed its bounds (<c>slow-consumer</c>),
/// the log no longer keeps the next event (<c>replay-gap</c>), the log could not be read (<c>replay-failed</c>), or
/// someone called <see cref="End"/> (session removed, key revoked, shutdown). What was queued is dropped: the log keeps
/// it and the subscriber resumes after <see cref="LastDeliveredEventId"/>.
/// </para>
/// </remarks>
/// <typeparam name="TPayload">The event as the transport writes it (encoded once, shared by every cursor of the session).</typeparam>
public sealed class EventCursor<TPayload>
    where TPayload : class
{
    private readonly ISessionPool _pool;
    private readonly EventCursorLimits _limits;
    private readonly Func<SessionEvent, (TPayload Payload, int Bytes)?> _encode;
    private readonly Lock _gate = new();
    private readonly Queue<(SessionEvent Event, TPayload Payload, int Bytes)> _queue = new();

    // Rung (under _gate) only when the consumer waits and there is something for it; at most one ring is pending.
    private readonly Channel<bool> _doorbell = Channel.CreateUnbounded<bool>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
    private bool _waiting;

    // Under _gate.
    private CursorState _state = CursorState.Replaying;
    private string? _endReason;
    private long _queuedBytes;

    // The consumer's own (NextAsync is not called concurrently).
    private long _next;
    private EventPage? _first;
    private EventPage? _page;
    private int _pageIndex;
    private bool _confirming;
    private SessionEvent? _trigger;

    /// <param name="pool">Reads the event log.</param>
    /// <param name="tenant">The session's tenant.</param>
    /// <param name="sessionId">The session.</param>
    /// <param name="afterEventId">Deliver the events after this one.</param>
    /// <param name="limits">The queue's and the replay's bounds.</param>
    /// <param name="encode">Encodes a replayed event (null: an event kind the transport does not know, skipped).</param>
    /// <param name="first">The first page of the log after <paramref name="afterEventId"/>, if the caller already read it.</param>
    public EventCursor(
        ISessionPool pool, string tenant, string sessionId, long afterEventId, EventCursorLimits limits,
        Func<SessionEvent, (TPayload Payload, int Bytes)?> encode, EventPage? first = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterEventId);
        _pool = pool;
        Tenant = tenant;
        SessionId = sessionId;
        _limits = limits;
        _encode = encode;
        _next = afterEventId + 1;
        _first = first;
    }

    private enum CursorState
    {
        /// <summary>The consumer reads the log; live events are ignored.</summary>
        Replaying,

        /// <summary>Live events are queued.</summary>
        Live,

        /// <summary>Nothing more; the consumer is told why.</summary>
        Ended,
    }

    public string Tenant { get; }

    public string SessionId { get; }

    /// <summary>The last event id delivered by <see cref="NextAsync"/>: where to resume.</summary>
    public long LastDeliveredEventId => Volatile.Read(ref _next) - 1;

    /// <summary>When the cursor ended with <c>replay-gap</c>: the oldest event id the log still keeps.</summary>
    public long OldestAvailableEventId { get; private set; }

    /// <summary>When the cursor ended with <c>replay-failed</c>: why the log could not be read.</summary>
    public Exception? Failure { get; private set; }

    /// <summary>Whether the cursor has ended (the consumer may not have been told yet).</summary>
    public bool IsEnded
    {
        get
        {
            lock (_gate)
            {
                return _state == CursorState.Ended;
            }
        }
    }

    /// <summary>
    /// Called by the single loop that hands out live events: queues the event, or ends the cursor when the queue is
    /// full. Never waits. False when this call ended the cursor as a slow consumer.
    /// </summary>
    public bool Offer(SessionEvent e, TPayload payload, int bytes)
    {
        ArgumentNullException.ThrowIfNull(e);
        lock (_gate)
        {
            if (_state != CursorState.Live)
            {
                return true;
            }

            // As the hub: the byte bound counts the events behind the next one to take, so one large event does not
            // end a consumer that keeps up.
            var waiting = _queue.Count;
            var behindNext = waiting == 0 ? 0 : _queuedBytes - _queue.Peek().Bytes;
            if (waiting >= _limits.QueueEvents || (waiting > 0 && behindNext + bytes > _limits.QueueBytes))
            {
                EndLocked(Hubs.SubscriptionEndReasons.SlowConsumer);
                return false;
            }

            _queue.Enqueue((e, payload, bytes));
            _queuedBytes += bytes;
            WakeLocked();
            return true;
        }
    }

    /// <summary>Ends the cursor (first reason wins); the consumer's next <see cref="NextAsync"/> reports it.</summary>
    public void End(string reason)
    {
        lock (_gate)
        {
            EndLocked(reason);
        }
    }

    /// <summary>
    /// The next event to deliver, in order, or the end. Not to be called concurrently. Throws only
    /// <see cref="OperationCanceledException"/> for <paramref name="cancellationToken"/>.
    /// </summary>
    public async ValueTask<CursorStep<TPayload>> NextAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            CursorState state;
            lock (_gate)
            {
                state = _state;
                if (state == CursorState.Ended)
                {
                    return new(null, null, 0, _endReason);
                }
            }

            if (state == CursorState.Replaying || _confirming)
            {
                if (await ReplayStepAsync(cancellationToken) is { } replayed)
                {
                    return replayed;
                }

                continue;
            }

            (SessionEvent Event, TPayload Payload, int Bytes) item;
            lock (_gate)
            {
                if (_state != CursorState.Live)
                {
                    continue;
                }

                if (_queue.TryDequeue(out item))
                {
                    _queuedBytes -= item.Bytes;
                }
                else
                {
                    // Whoever gives the consumer work next rings (once) and clears this.
                    _waiting = true;
                }
            }

            if (item.Event is null)
            {
                await _doorbell.Reader.ReadAsync(cancellationToken);
                continue;
            }

            var id = item.Event.EventId;
            if (id < _next)
            {
                // Already delivered by a replay.
                continue;
            }

            if (id > _next)
            {
                // Ids were skipped: the pool dropped events this consumer has not had. The log has them.
                lock (_gate)
                {
                    if (_state != CursorState.Live)
                    {
                        continue;
                    }

                    _state = CursorState.Replaying;
                    DropQueueLocked();
                }

                _trigger = item.Event;
                continue;
            }

            Advance(id);
            return new(item.Event, item.Payload, item.Bytes, null);
        }
    }

    /// <summary>One step of a replay: the next event from the log, or null when the state moved on (or nothing to give).</summary>
    private async ValueTask<CursorStep<TPayload>?> ReplayStepAsync(CancellationToken cancellationToken)
    {
        if (_page is { } page && _pageIndex < page.Events.Count)
        {
            var e = page.Events[_pageIndex++];
            if (e.EventId < _next)
            {
                return null;
            }

            if (e.EventId > _next && page.Gap)
            {
                // Retention dropped events this consumer has not had: it must be told, not handed a silent hole.
                OldestAvailableEventId = page.OldestAvailableEventId;
                End(Hubs.SubscriptionEndReasons.ReplayGap);
                return null;
            }

            Advance(e.EventId);
            return Encode(e);
        }

        _page = null;
        EventPage read;
        try
        {
            // The caller's first read counts as this cursor's first.
            read = _first ?? await _pool.ReadHistoryAsync(Tenant, SessionId, _next - 1, _limits.PageSize, _limits.PageBytes, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            // The client resumes with its last id and the read is tried again then; a silent switch to live events
            // would hand it a hole in the ids.
            Failure = ex;
            End(Hubs.SubscriptionEndReasons.ReplayFailed);
            return null;
        }

        _first = null;
        if (read.Events.Count > 0 && read.Events[^1].EventId >= _next)
        {
            _page = read;
            _pageIndex = 0;
            return null;
        }

        if (read.Gap)
        {
            OldestAvailableEventId = read.OldestAvailableEventId;
            End(Hubs.SubscriptionEndReasons.ReplayGap);
            return null;
        }

        if (_confirming)
        {
            // Caught up after the switch: live events from here on. A live event that revealed the gap and that the
            // log did not have is delivered now, so the cursor never stalls on it.
            _confirming = false;
            if (_trigger is { } trigger && trigger.EventId >= _next && Encode(trigger) is { } step)
            {
                _trigger = null;
                Advance(trigger.EventId);
                return step;
            }

            _trigger = null;
            return null;
        }

        // Caught up, as far as the log says. From now on the loop queues live events; the log is read once more for
        // those it handed out before that (_gate orders its check of the state before or after this switch).
        lock (_gate)
        {
            if (_state != CursorState.Replaying)
            {
                return null;
            }

            _state = CursorState.Live;
        }

        _confirming = true;
        return null;
    }

    private CursorStep<TPayload>? Encode(SessionEvent e) =>
        _encode(e) is { } encoded ? new(e, encoded.Payload, encoded.Bytes, null) : null;

    private void Advance(long eventId) => Volatile.Write(ref _next, eventId + 1);

    private void EndLocked(string reason)
    {
        if (_state == CursorState.Ended)
        {
            return;
        }

        _state = CursorState.Ended;
        _endReason = reason;
        DropQueueLocked();
        WakeLocked();
    }

    private void WakeLocked()
    {
        if (_waiting)
        {
            _waiting = false;
            _doorbell.Writer.TryWrite(true);
        }
    }

    private void DropQueueLocked()
    {
        _queue.Clear();
        _queuedBytes = 0;
    }
}
