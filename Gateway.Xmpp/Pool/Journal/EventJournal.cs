using System.Threading.Channels;
using Gateway.Xmpp.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Gateway.Xmpp.Pool.Journal;

/// <summary>
/// The pool's single journal writer: every session's events, outbox changes and archive cursors go through one queue,
/// and each turn of the writer commits whatever is queued in one transaction (group commit), numbers the events as
/// it takes them, then tells each session how far it is durable and hands the events to the dispatcher. An event a
/// subscriber sees is therefore always one it can replay later, and an accepted stanza is stored before its caller
/// hears so.
/// </summary>
/// <remarks>
/// Bounded: <see cref="SessionJournal.WaitForCapacityAsync"/> waits while <c>capacity</c> entries are queued and not
/// committed, which is how back-pressure from a slow store reaches the sockets (inbound) and the callers (outbound). A
/// failing store is retried; events are never skipped. While it fails, outbox additions fail fast (their callers are
/// told the stanza was not stored) instead of waiting behind it.
/// </remarks>
internal sealed class EventJournal : IAsyncDisposable
{
    /// <summary>Entries per commit: large enough to amortise the commit, small enough to keep latency low.</summary>
    private const int MaxBatch = 4_096;

    private readonly Channel<JournalEntry> _queue = Channel.CreateUnbounded<JournalEntry>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim _capacity;
    private readonly Func<IReadOnlyList<JournalEntry>, CancellationToken, Task> _commit;
    private readonly Action<SessionEvent> _dispatch;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Task _writer;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<SessionJournal, byte> _open = new();
    private volatile bool _failing;

    /// <param name="commit">Stores the entries in one transaction (events already numbered); throws when it could not.</param>
    /// <param name="dispatch">Receives each committed event, in order.</param>
    /// <param name="capacity">Entries that may wait for a commit before producers wait.</param>
    /// <param name="logger">Where failures are logged.</param>
    /// <param name="time">Clock for retry delays.</param>
    public EventJournal(Func<IReadOnlyList<JournalEntry>, CancellationToken, Task> commit, Action<SessionEvent> dispatch, int capacity, ILogger logger, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _commit = commit;
        _dispatch = dispatch;
        _capacity = new SemaphoreSlim(capacity, capacity);
        _logger = logger;
        _time = time;
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>A session's handle; numbering continues after <paramref name="lastEventId"/>.</summary>
    public SessionJournal Open(string tenant, string sessionId, long lastEventId)
    {
        var session = new SessionJournal(this, tenant, sessionId, lastEventId);
        _open.TryAdd(session, 0);
        return session;
    }

    /// <summary>Forgets a session's handle (its session was removed); what it submitted is still committed.</summary>
    internal void Close(SessionJournal session) => _open.TryRemove(session, out _);

    /// <summary>Whether the last commit failed (and is being retried).</summary>
    public bool IsFailing => _failing;

    internal ValueTask ReserveAsync(CancellationToken cancellationToken)
    {
        var wait = _capacity.WaitAsync(cancellationToken);
        return wait.IsCompletedSuccessfully ? ValueTask.CompletedTask : new ValueTask(wait);
    }

    internal void Release(int count) => _capacity.Release(count);

    internal void Enqueue(JournalEntry entry)
    {
        if (entry.Kind == JournalEntryKind.OutboxAddition && _failing)
        {
            Refuse(entry, new InvalidOperationException("The gateway's store is failing; the stanza was not stored."));
            return;
        }

        if (!_queue.Writer.TryWrite(entry))
        {
            Refuse(entry, new ObjectDisposedException(nameof(EventJournal), "The journal has stopped."));
        }
    }

    /// <summary>Commits what is queued, then stops. Entries submitted afterwards are refused.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
    }

    private void Refuse(JournalEntry entry, Exception reason)
    {
        if (entry.Event is not null)
        {
            entry.Owner.Forget();
        }

        if (entry.Reserved)
        {
            Release(1);
        }

        entry.Durable?.TrySetException(reason);
    }

    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<JournalEntry>(256);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < MaxBatch && reader.TryRead(out var entry))
            {
                if (entry.Event is not null)
                {
                    entry.Event = entry.Event with { EventId = entry.Owner.NextEventId() };
                }

                batch.Add(entry);
            }

            await CommitAsync(batch).ConfigureAwait(false);
            Complete(batch);
            batch.Clear();
        }

        var closed = new ObjectDisposedException(nameof(EventJournal), "The journal has stopped.");
        foreach (var session in _open.Keys)
        {
            session.OnClosed(closed);
        }
    }

    private async Task CommitAsync(List<JournalEntry> batch)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _commit(batch, CancellationToken.None).ConfigureAwait(false);
                _failing = false;
                return;
            }
#pragma warning disable CA1031 // Any storage failure is retried: dropping events is not an option.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _failing = true;
                Log.EventLogFailed(_logger, batch.Count, attempt, ex);

                // Callers of outbox additions are told now (their stanza is not stored and will not be sent); the event
                // that goes with each stays, so event ids stay contiguous, and the caller's refusal follows it.
                for (var i = 0; i < batch.Count; i++)
                {
                    if (batch[i].Kind == JournalEntryKind.OutboxAddition)
                    {
                        var refused = batch[i];
                        refused.Durable!.TrySetException(ex);
                        if (refused.Event is { } alongside)
                        {
                            batch[i] = JournalEntry.ForEvent(refused.Owner, alongside);
                            batch[i].Position = refused.Position;
                            batch[i].Reserved = refused.Reserved;
                        }
                        else
                        {
                            batch[i] = JournalEntry.ForOutboxRemoval(refused.Owner, refused.Outbox!.StanzaId);
                            batch[i].Position = refused.Position;
                            batch[i].Reserved = refused.Reserved;
                        }
                    }
                }

                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5_000, 50 * attempt)), _time).ConfigureAwait(false);
            }
        }
    }

    private void Complete(List<JournalEntry> batch)
    {
        var released = 0;
        var durable = new Dictionary<SessionJournal, long>();
        foreach (var entry in batch)
        {
            // Entries of one session interleave with others'; its positions only grow, so the last one counts.
            durable[entry.Owner] = entry.Position;
            if (entry.Reserved)
            {
                released++;
            }
        }

        foreach (var entry in batch)
        {
            entry.Durable?.TrySetResult();
            if (entry.Event is { } committed)
            {
                _dispatch(committed);
            }
        }

        // After the dispatch: whoever waits for durability (a flush, a stop) finds the events handed on too.
        foreach (var (session, position) in durable)
        {
            session.OnDurable(position);
        }

        if (released > 0)
        {
            Release(released);
        }
    }
}
