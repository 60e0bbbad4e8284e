using System.Buffers;

namespace Gateway.Xmpp.Pool.Persistence;

/// <summary>
/// Everything in memory: sessions, journal and outbox live as long as the process (replay works meanwhile). The
/// default of a bare <see cref="SessionPool"/>; the reference the store contract tests hold every implementation to.
/// </summary>
public sealed class InMemoryPoolStore : IPoolStore
{
    private readonly object _gate = new();
    private readonly Dictionary<(string Tenant, string Id), StoredSession> _sessions = [];
    private readonly Dictionary<(string Tenant, string Session), Journal> _journals = [];
    private readonly Dictionary<(string Tenant, string Session), Dictionary<string, (OutboxEntry Entry, long Sequence)>> _outbox = [];
    private readonly Dictionary<(string Tenant, string Session, Jid Room), StoredRoom> _rooms = [];
    private long _sequence;
    private int _outboxCount;

    /// <param name="outboxIsDurable">
    /// What <see cref="IsDurable"/> says. True makes a pool keep queued stanzas here at shutdown (as it would in a
    /// database) instead of failing them: for tests that observe the outbox.
    /// </param>
    public InMemoryPoolStore(bool outboxIsDurable = false) => IsDurable = outboxIsDurable;

    public bool IsDurable { get; }

    /// <summary>Outbox entries of every session.</summary>
    public int OutboxCount => Volatile.Read(ref _outboxCount);

    public Task CommitAsync(JournalBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            foreach (var sessionEvent in batch.Events)
            {
                var journal = JournalOf(sessionEvent.Tenant, sessionEvent.SessionId);
                journal.Add(sessionEvent);
            }

            foreach (var entry in batch.OutboxAdditions)
            {
                var key = (entry.Tenant, entry.SessionId);
                if (!_outbox.TryGetValue(key, out var entries))
                {
                    _outbox[key] = entries = new Dictionary<string, (OutboxEntry, long)>(StringComparer.Ordinal);
                }

                // A repeat of the same id (an idempotent retry racing its first attempt) keeps the first entry.
                if (entries.TryAdd(entry.StanzaId, (entry, ++_sequence)))
                {
                    _outboxCount++;
                }
            }

            foreach (var removal in batch.OutboxRemovals)
            {
                if (_outbox.TryGetValue((removal.Tenant, removal.SessionId), out var entries) && entries.Remove(removal.StanzaId))
                {
                    _outboxCount--;
                }
            }

            foreach (var cursor in batch.ArchiveCursors)
            {
                JournalOf(cursor.Tenant, cursor.SessionId).ArchiveCursor = cursor.ArchiveId;
            }
        }

        return Task.CompletedTask;
    }

    public Task<EventPage> ReadAsync(string tenant, string sessionId, long afterEventId, int limit, long maxBytes, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        lock (_gate)
        {
            if (!_journals.TryGetValue((tenant, sessionId), out var journal) || journal.Events.Count == 0)
            {
                var last = journal?.LastEventId ?? 0;
                return Task.FromResult(new EventPage([], 0, last, Gap: afterEventId < last));
            }

            var events = journal.Events;
            var oldest = events[0].EventId;
            var page = new List<SessionEvent>(Math.Min(limit, events.Count));
            long bytes = 0;
            for (var i = journal.IndexAfter(afterEventId); i < events.Count && page.Count < limit; i++)
            {
                // The stored payload is what the codec writes: what a database would hold (before encryption).
                bytes += maxBytes == long.MaxValue ? 0 : EncodedLength(events[i]);
                if (page.Count > 0 && bytes > maxBytes)
                {
                    break;
                }

                page.Add(events[i]);
            }

            return Task.FromResult(new EventPage(page, oldest, journal.LastEventId, Gap: afterEventId + 1 < oldest));
        }
    }

    public Task<JournalHead> GetHeadAsync(string tenant, string sessionId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return Task.FromResult(_journals.TryGetValue((tenant, sessionId), out var journal)
                ? new JournalHead(journal.LastEventId, journal.ArchiveCursor)
                : new JournalHead(0, null));
        }
    }

    /// <summary>Scans the session's events from the newest: a lookup made only for messages the pool no longer tracks.</summary>
    public Task<MessageStatus?> FindMessageStatusAsync(string tenant, string sessionId, string messageId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messageId);
        lock (_gate)
        {
            if (_journals.TryGetValue((tenant, sessionId), out var journal))
            {
                for (var i = journal.Events.Count - 1; i >= 0; i--)
                {
                    if (journal.Events[i] is MessageStatusChanged changed && changed.Status.MessageId == messageId)
                    {
                        return Task.FromResult<MessageStatus?>(changed.Status);
                    }
                }
            }

            return Task.FromResult<MessageStatus?>(null);
        }
    }

    public Task<bool> HasReceivedMessageAsync(string tenant, string sessionId, string archiveId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(archiveId);
        lock (_gate)
        {
            return Task.FromResult(
                _journals.TryGetValue((tenant, sessionId), out var journal)
                && journal.Events.Exists(e => e is MessageReceived { ArchiveId: { } id } && id == archiveId));
        }
    }

    public Task TrimAsync(int maxEventsPerSession, DateTimeOffset olderThan, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxEventsPerSession);
        lock (_gate)
        {
            foreach (var journal in _journals.Values)
            {
                journal.Events.RemoveAll(e => e.ReceivedAt < olderThan);
                if (journal.Events.Count > maxEventsPerSession)
                {
                    journal.Events.RemoveRange(0, journal.Events.Count - maxEventsPerSession);
                }
            }
        }

        return Task.CompletedTask;
    }

    public Task TrimToBytesAsync(long maxBytesPerSession, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytesPerSession);
        lock (_gate)
        {
            foreach (var journal in _journals.Values)
            {
                // From the newest back: the first event that no longer fits, and everything older, goes. The newest
                // stays whatever its size, so a reader still learns where the journal stands.
                long bytes = 0;
                var keepFrom = journal.Events.Count;
                while (keepFrom > 0)
                {
                    bytes += EncodedLength(journal.Events[keepFrom - 1]);
                    if (bytes > maxBytesPerSession && keepFrom < journal.Events.Count)
                    {
                        break;
                    }

                    keepFrom--;
                }

                journal.Events.RemoveRange(0, keepFrom);
            }
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<OutboxEntry>> LoadAsync(string tenant, string sessionId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<OutboxEntry>>(_outbox.TryGetValue((tenant, sessionId), out var entries)
                ? [.. entries.Values.OrderBy(e => e.Sequence).Select(e => e.Entry)]
                : []);
        }
    }

    public Task DeleteSessionDataAsync(string tenant, string sessionId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            _journals.Remove((tenant, sessionId));
            foreach (var key in _rooms.Keys.Where(k => k.Tenant == tenant && k.Session == sessionId).ToList())
            {
                _rooms.Remove(key);
            }

            if (_outbox.Remove((tenant, sessionId), out var entries))
            {
                _outboxCount -= entries.Count;
            }
        }

        return Task.CompletedTask;
    }

    public Task SaveRoomAsync(StoredRoom room, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(room);
        lock (_gate)
        {
            _rooms[(room.Tenant, room.SessionId, room.Room.Bare)] = room with { Room = room.Room.Bare };
        }

        return Task.CompletedTask;
    }

    public Task DeleteRoomAsync(string tenant, string sessionId, Jid room, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(room);
        lock (_gate)
        {
            _rooms.Remove((tenant, sessionId, room.Bare));
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<StoredRoom>> LoadRoomsAsync(string tenant, string sessionId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            IReadOnlyList<StoredRoom> rooms = [.. _rooms.Where(r => r.Key.Tenant == tenant && r.Key.Session == sessionId)
                .Select(r => r.Value)
                .OrderBy(r => r.Room.ToString(), StringComparer.Ordinal)];
            return Task.FromResult(rooms);
        }
    }

    public Task SaveAsync(StoredSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        lock (_gate)
        {
            _sessions[(session.Tenant, session.Id)] = session;
        }

        return Task.CompletedTask;
    }

    public Task DeleteAsync(string tenant, string sessionId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            _sessions.Remove((tenant, sessionId));
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<StoredSession>> LoadAllAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<StoredSession>>([.. _sessions.Values.OrderBy(s => s.Tenant, StringComparer.Ordinal).ThenBy(s => s.Id, StringComparer.Ordinal)]);
        }
    }

    private Journal JournalOf(string tenant, string sessionId)
    {
        if (!_journals.TryGetValue((tenant, sessionId), out var journal))
        {
            _journals[(tenant, sessionId)] = journal = new Journal();
        }

        return journal;
    }

    private static int EncodedLength(SessionEvent sessionEvent)
    {
        var utf8 = new ArrayBufferWriter<byte>(256);
        SessionEventCodec.Encode(sessionEvent, utf8);
        return utf8.WrittenCount;
    }

    /// <summary>A session's events in id order, and its head.</summary>
    private sealed class Journal
    {
        public List<SessionEvent> Events { get; } = [];

        public long LastEventId { get; private set; }

        public string? ArchiveCursor { get; set; }

        /// <summary>Stores the event unless one with its id is stored (an idempotent retry).</summary>
        public void Add(SessionEvent sessionEvent)
        {
            LastEventId = Math.Max(LastEventId, sessionEvent.EventId);
            if (Events.Count == 0 || Events[^1].EventId < sessionEvent.EventId)
            {
                Events.Add(sessionEvent);
                return;
            }

            var index = IndexAfter(sessionEvent.EventId - 1);
            if (index == Events.Count || Events[index].EventId != sessionEvent.EventId)
            {
                Events.Insert(index, sessionEvent);
            }
        }

        /// <summary>The index of the first event with an id above <paramref name="eventId"/>.</summary>
        public int IndexAfter(long eventId)
        {
            int low = 0, high = Events.Count;
            while (low < high)
            {
                var middle = (low + high) >>> 1;
                if (Events[middle].EventId <= eventId)
                {
                    low = middle + 1;
                }
                else
                {
                    high = middle;
                }
            }

            return low;
        }
    }
}
