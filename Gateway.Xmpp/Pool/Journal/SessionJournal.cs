using Gateway.Xmpp.Pool.Persistence;

namespace Gateway.Xmpp.Pool.Journal;

/// <summary>
/// One session's way into the pool's <see cref="EventJournal"/>: what it publishes, adds to or removes from its outbox,
/// and where its archive cursor stands, all committed in the journal's next group commit and in the order submitted.
/// Event ids are assigned by the journal's writer as it takes the events, so they follow the order of the journal
/// exactly, whichever thread submitted them.
/// </summary>
/// <remarks>
/// <see cref="Position"/> counts what was submitted, <see cref="DurablePosition"/> what is committed; <see cref="Durable"/>
/// fires (on the writer, keep it quick) when the latter moves. A caller that must stay within the journal's bound waits
/// in <see cref="WaitForCapacityAsync"/> first, then submits without waiting — possibly under a lock of its own, which
/// keeps, e.g., a message's status changes in the order they happened.
/// </remarks>
internal sealed class SessionJournal
{
    private readonly EventJournal _journal;
    private readonly object _gate = new();
    private readonly List<(long Position, TaskCompletionSource Done)> _flushes = [];
    private long _position;
    private long _durablePosition;
    private long _lastEventId;
    private long _pendingEvents;

    internal SessionJournal(EventJournal journal, string tenant, string sessionId, long lastEventId)
    {
        _journal = journal;
        Tenant = tenant;
        SessionId = sessionId;
        _lastEventId = lastEventId;
    }

    public string Tenant { get; }

    public string SessionId { get; }

    /// <summary>The id of the last event numbered (0 before any).</summary>
    public long LastEventId => Interlocked.Read(ref _lastEventId);

    /// <summary>The highest id an event submitted so far will get: events already numbered plus those still queued.</summary>
    public long LastSubmittedEventId => Interlocked.Read(ref _lastEventId) + Interlocked.Read(ref _pendingEvents);

    /// <summary>Entries submitted so far.</summary>
    public long Position => Interlocked.Read(ref _position);

    /// <summary>Entries committed so far.</summary>
    public long DurablePosition => Interlocked.Read(ref _durablePosition);

    /// <summary>Called on the journal's writer with the new <see cref="DurablePosition"/> after each commit that included this session.</summary>
    public Action<long>? Durable { get; set; }

    /// <summary>Waits until the journal has room for one more entry; pair with a submission that passes <c>reserved: true</c>.</summary>
    public ValueTask WaitForCapacityAsync(CancellationToken cancellationToken) => _journal.ReserveAsync(cancellationToken);

    /// <summary>Gives back a reservation that will not be used.</summary>
    public void ReleaseCapacity() => _journal.Release(1);

    /// <summary>Queues an event (its id is assigned by the writer); returns the entry's position.</summary>
    public long Publish(SessionEvent sessionEvent, bool reserved = false)
    {
        ArgumentNullException.ThrowIfNull(sessionEvent);
        Interlocked.Increment(ref _pendingEvents);
        return Submit(JournalEntry.ForEvent(this, sessionEvent), reserved);
    }

    /// <summary>Queues an accepted stanza for the outbox, with the event that goes with it; completes once both are durable.</summary>
    /// <exception cref="Exception">Whatever the store threw when the commit failed: the stanza is not stored.</exception>
    public Task AddToOutboxAsync(OutboxEntry entry, SessionEvent? alongside, bool reserved = false)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var journalEntry = JournalEntry.ForOutboxAddition(this, entry, alongside);
        if (alongside is not null)
        {
            Interlocked.Increment(ref _pendingEvents);
        }

        Submit(journalEntry, reserved);
        return journalEntry.Durable!.Task;
    }

    /// <summary>Queues the removal of a stanza from the outbox. Never waits: removals only shrink what is stored.</summary>
    public void RemoveFromOutbox(string stanzaId) => Submit(JournalEntry.ForOutboxRemoval(this, stanzaId), reserved: true, counted: false);

    /// <summary>Queues the session's new archive cursor (committed with whatever was submitted before it). Never waits.</summary>
    public void AdvanceArchiveCursor(string archiveId) => Submit(JournalEntry.ForArchiveCursor(this, archiveId), reserved: true, counted: false);

    /// <summary>Completes once everything submitted before the call is durable.</summary>
    public Task FlushAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (DurablePosition >= _position)
            {
                return Task.CompletedTask;
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _flushes.Add((_position, done));
            return done.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>The session is gone: the journal forgets this handle (what was submitted is still committed).</summary>
    public void Close() => _journal.Close(this);

    /// <summary>Numbers an event as the writer takes it.</summary>
    internal long NextEventId()
    {
        Interlocked.Decrement(ref _pendingEvents);
        return Interlocked.Increment(ref _lastEventId);
    }

    /// <summary>An event that will never be numbered (its entry could not be stored).</summary>
    internal void Forget() => Interlocked.Decrement(ref _pendingEvents);

    internal void OnDurable(long position)
    {
        Volatile.Write(ref _durablePosition, position);
        Durable?.Invoke(position);
        lock (_gate)
        {
            for (var i = _flushes.Count - 1; i >= 0; i--)
            {
                if (_flushes[i].Position <= position)
                {
                    _flushes[i].Done.TrySetResult();
                    _flushes.RemoveAt(i);
                }
            }
        }
    }

    /// <summary>The journal stopped: whoever waits for durability learns it will not come.</summary>
    internal void OnClosed(Exception reason)
    {
        lock (_gate)
        {
            foreach (var (_, done) in _flushes)
            {
                done.TrySetException(reason);
            }

            _flushes.Clear();
        }
    }

    private long Submit(JournalEntry entry, bool reserved, bool counted = true)
    {
        lock (_gate)
        {
            // Positions and queue order must agree: both are decided under this lock.
            entry.Position = ++_position;
            entry.Reserved = reserved && counted;
            _journal.Enqueue(entry);
        }

        return entry.Position;
    }
}
