namespace Gateway.Xmpp.Client;

/// <summary>
/// One timer for the keepalives of many connections: a connection waits here until its stream has been idle for its
/// keepalive interval, and each tick releases those that are due, one after the other on the tick's thread.
/// </summary>
/// <remarks>
/// A timer per connection costs more than its memory: each timer that fires wakes a thread-pool thread, which runs a
/// few microseconds of work and then spins before it sleeps again, and ten thousand idle sessions each checking four
/// times per interval kept a core 15% busy doing nothing. One tick for all of them wakes one thread, and the pings of
/// every connection that became due in the same tick are written in one go. A tick looks only at the waiters that
/// could be due by now (ordered by the time they would be, so a tick costs nothing per waiting connection); one that
/// had traffic meanwhile is put back for when it could be due again. The timer stops while nothing waits.
/// </remarks>
internal sealed class KeepAliveTicker : IDisposable
{
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly ITimer _timer;

    /// <summary>Waiters by the timestamp (of <see cref="_time"/>) at which they could first be due; guarded by _gate.</summary>
    private readonly PriorityQueue<Waiter, long> _waiting = new();
    private readonly List<Waiter> _due = []; // used by the tick only
    private bool _running;                   // guarded by _gate
    private bool _disposed;                  // guarded by _gate
    private int _ticking;

    /// <param name="period">How often waiters are checked: how much later than due a ping can be sent.</param>
    /// <param name="time">The clock of the ticks.</param>
    public KeepAliveTicker(TimeSpan period, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(period, TimeSpan.Zero);
        Period = period;
        _time = time;
        _timer = _time.CreateTimer(static state => ((KeepAliveTicker)state!).Tick(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public TimeSpan Period { get; }

    /// <summary>How many waits are registered, including cancelled ones not yet reached by a tick (for tests).</summary>
    internal int WaitingCount
    {
        get
        {
            lock (_gate)
            {
                return _waiting.Count;
            }
        }
    }

    /// <summary>
    /// The tick for a client's keepalive: a shared one when the pool gives one (ticking at most every second, so a
    /// ping goes out at most a second after it is due), else a private one ticking at a quarter of the interval.
    /// </summary>
    public static TimeSpan PeriodFor(TimeSpan keepAliveInterval, bool shared) =>
        shared ? TimeSpan.FromTicks(Math.Min(keepAliveInterval.Ticks / 4, TimeSpan.TicksPerSecond)) : keepAliveInterval / 4;

    /// <summary>
    /// Completes on the first tick at which <paramref name="sinceLastActivity"/> is at least <paramref name="idle"/>;
    /// its continuation runs on the tick's thread, so keep the synchronous part short (writing a ping is).
    /// </summary>
    /// <param name="sinceLastActivity">How long the connection has been silent; asked when it could be due, not on every tick.</param>
    /// <param name="idle">How long it must be silent.</param>
    /// <param name="cancellationToken">Ends the wait (the connection ended).</param>
    public async Task WaitForIdleAsync(Func<TimeSpan> sinceLastActivity, TimeSpan idle, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var waiter = new Waiter(sinceLastActivity, idle);
        using (cancellationToken.UnsafeRegister(static (state, token) => ((Waiter)state!).TrySetCanceled(token), waiter))
        {
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                _waiting.Enqueue(waiter, DueAt(waiter));
                if (!_running)
                {
                    _running = true;
                    _timer.Change(Period, Period);
                }
            }

            await waiter.Task.ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        Waiter[] waiting;
        lock (_gate)
        {
            _disposed = true;
            _running = false;
            waiting = [.. _waiting.UnorderedItems.Select(i => i.Element)];
            _waiting.Clear();
        }

        _timer.Dispose();
        foreach (var waiter in waiting)
        {
            waiter.TrySetException(new ObjectDisposedException(nameof(KeepAliveTicker)));
        }
    }

    /// <summary>When the waiter could first be due: now, less how long it has been silent already, plus the idle time.</summary>
    private long DueAt(Waiter waiter)
    {
        var remaining = waiter.Idle - waiter.SinceLastActivity();
        var now = _time.GetTimestamp();
        return remaining <= TimeSpan.Zero ? now : now + (long)(remaining.Ticks * (_time.TimestampFrequency / (double)TimeSpan.TicksPerSecond));
    }

    private void Tick()
    {
        // A system timer's callbacks can overlap when one runs longer than the period: one tick at a time.
        if (Interlocked.Exchange(ref _ticking, 1) != 0)
        {
            return;
        }

        try
        {
            var now = _time.GetTimestamp();
            lock (_gate)
            {
                while (_waiting.TryPeek(out var waiter, out var dueAt) && dueAt <= now)
                {
                    _waiting.Dequeue();
                    if (waiter.Task.IsCompleted)
                    {
                        continue; // cancelled: its connection ended
                    }

                    if (waiter.SinceLastActivity() >= waiter.Idle)
                    {
                        _due.Add(waiter);
                    }
                    else
                    {
                        // Traffic since it was queued: it could be due one idle time after that traffic, not before.
                        _waiting.Enqueue(waiter, Math.Max(now + 1, DueAt(waiter)));
                    }
                }

                if (_waiting.Count == 0 && _due.Count == 0 && _running && !_disposed)
                {
                    _running = false;
                    _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                }
            }

            // Outside the lock: a released keepalive pings inline and, once answered, waits here again.
            foreach (var waiter in _due)
            {
                waiter.TrySetResult();
            }

            _due.Clear();
        }
        finally
        {
            Volatile.Write(ref _ticking, 0);
        }
    }

    /// <summary>One connection's wait; its continuation runs on the tick (no RunContinuationsAsynchronously), which is the point.</summary>
    private sealed class Waiter(Func<TimeSpan> sinceLastActivity, TimeSpan idle) : TaskCompletionSource
    {
        public Func<TimeSpan> SinceLastActivity { get; } = sinceLastActivity;

        public TimeSpan Idle { get; } = idle;
    }
}
