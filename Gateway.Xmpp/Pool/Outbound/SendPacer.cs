namespace Gateway.Xmpp.Pool;

/// <summary>
/// Slows a caller that sends faster than the server takes: while a connection drains the queue and
/// <see cref="SessionPoolOptions.PacingQueueDepth"/> stanzas wait in it, a send waits here, before it is stored, first
/// come first served, until the sender takes a stanza from the queue (each stanza taken lets one waiting send in) or
/// <see cref="SessionPoolOptions.PacingMaxWait"/> passed. A waiting send costs one entry and one timer, however long
/// it waits: the sender wakes only as many as it made room for, never all of them, so a thousand sends waiting behind
/// a long queue do not each look at the queue again for every write.
/// </summary>
/// <param name="depth">Stanzas queued from which sends wait; 0 turns pacing off.</param>
/// <param name="maxWait">The longest a send waits for its turn.</param>
/// <param name="time">The clock of <paramref name="maxWait"/>.</param>
/// <param name="queued">Stanzas in the queue, not yet taken by the sender; read under the pacer's lock, and lowered by
/// the sender before it calls <see cref="Taken"/>, so a send either sees the room or is let in by that call.</param>
internal sealed class SendPacer(int depth, TimeSpan maxWait, TimeProvider time, Func<int> queued)
{
    private readonly Lock _gate = new();

    /// <summary>Sends waiting for their turn, oldest first; one given up stays until it reaches the head. Made on first use: most sessions never wait.</summary>
    private Queue<TaskCompletionSource>? _waiting;

    private bool _draining;

    /// <summary>Whether a connection's sender drains the queue: only then does a send wait (an offline session accepts at once).</summary>
    private bool IsDraining => Volatile.Read(ref _draining);

    /// <summary>
    /// Completes when a send may be stored: at once unless a connection drains the queue and either its stanzas
    /// already fill the pacing depth or earlier sends still wait (they go first).
    /// </summary>
    /// <param name="cancellationToken">The caller went away: nothing was stored, and the turn passes on.</param>
    public Task WaitForTurnAsync(CancellationToken cancellationToken)
    {
        if (depth == 0 || !IsDraining)
        {
            return Task.CompletedTask;
        }

        TaskCompletionSource turn;
        lock (_gate)
        {
            var earlier = DropGivenUp();
            var length = queued();
            if (!_draining || (!earlier && length < depth))
            {
                return Task.CompletedTask;
            }

            if (length == 0)
            {
                // Nothing left for the sender to take, so nothing would let the waiting sends in: they all go now.
                ReleaseLocked(int.MaxValue);
                return Task.CompletedTask;
            }

            turn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            (_waiting ??= new Queue<TaskCompletionSource>()).Enqueue(turn);
        }

        return WaitAsync(turn, cancellationToken);
    }

    /// <summary>The sender took <paramref name="count"/> stanzas from the queue: as many waiting sends may go.</summary>
    public void Taken(int count)
    {
        if (count > 0)
        {
            // Always under the lock (once per write, not per stanza): a send that looked at the queue's length before
            // the sender lowered it is in the line by now, and is let in here.
            lock (_gate)
            {
                ReleaseLocked(count);
            }
        }
    }

    /// <summary>A send whose turn came did not enter the queue after all (its store failed): its place goes to the next.</summary>
    public void GaveUp() => Taken(1);

    /// <summary>A connection's sender starts or stops draining the queue; when it stops, every waiting send goes (it is queued for the next connection).</summary>
    public void SetDraining(bool draining)
    {
        lock (_gate)
        {
            _draining = draining;
            if (!draining)
            {
                ReleaseLocked(int.MaxValue);
            }
        }
    }

    private async Task WaitAsync(TaskCompletionSource turn, CancellationToken cancellationToken)
    {
        try
        {
            await turn.Task.WaitAsync(maxWait, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Waited long enough: it goes without its turn (the queue's capacity still bounds it). Unless its turn came
            // at the same moment, its entry is skipped when it reaches the head.
            turn.TrySetCanceled(CancellationToken.None);
        }
        catch (OperationCanceledException)
        {
            if (!turn.TrySetCanceled(cancellationToken))
            {
                // Its turn came as the caller left: the next one takes it.
                GaveUp();
            }

            throw;
        }
    }

    /// <summary>Drops given-up entries from the head; whether a send still waits.</summary>
    private bool DropGivenUp()
    {
        while (_waiting is { Count: > 0 } waiting)
        {
            if (!waiting.Peek().Task.IsCompleted)
            {
                return true;
            }

            waiting.Dequeue();
        }

        return false;
    }

    private void ReleaseLocked(int count)
    {
        while (count > 0 && _waiting is { } waiting && waiting.TryDequeue(out var turn))
        {
            if (turn.TrySetResult())
            {
                count--;
            }
        }

        if (_waiting is { Count: 0 })
        {
            // Back to nothing, as most sessions are: a burst's queue is not kept for the session's life.
            _waiting = null;
        }
    }
}
