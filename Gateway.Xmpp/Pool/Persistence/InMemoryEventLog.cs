namespace Gateway.Xmpp.Pool.Persistence;

/// <summary>An event log in memory: replay works while the process lives. The default of a bare <see cref="SessionPool"/>.</summary>
public sealed class InMemoryEventLog : IEventLog
{
    private readonly Dictionary<(string Tenant, string Session), List<SessionEvent>> _events = [];
    private readonly Dictionary<(string Tenant, string Session), long> _last = [];
    private readonly object _gate = new();

    public Task AppendAsync(IReadOnlyList<SessionEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        lock (_gate)
        {
            foreach (var sessionEvent in events)
            {
                var key = (sessionEvent.Tenant, sessionEvent.SessionId);
                if (!_events.TryGetValue(key, out var list))
                {
                    _events[key] = list = [];
                }

                list.Add(sessionEvent);
                _last[key] = sessionEvent.EventId;
            }
        }

        return Task.CompletedTask;
    }

    public Task<EventPage> ReadAsync(string tenant, string sessionId, long afterEventId, int limit, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var last = _last.GetValueOrDefault((tenant, sessionId));
            if (!_events.TryGetValue((tenant, sessionId), out var list) || list.Count == 0)
            {
                return Task.FromResult(new EventPage([], 0, last, Gap: afterEventId < last));
            }

            var oldest = list[0].EventId;
            var page = list.Where(e => e.EventId > afterEventId).Take(limit).ToArray();
            return Task.FromResult(new EventPage(page, oldest, last, Gap: afterEventId + 1 < oldest));
        }
    }

    public Task<long> GetLastEventIdAsync(string tenant, string sessionId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return Task.FromResult(_last.GetValueOrDefault((tenant, sessionId)));
        }
    }

    public Task TrimAsync(int maxEventsPerSession, DateTimeOffset olderThan, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            foreach (var list in _events.Values)
            {
                list.RemoveAll(e => e.ReceivedAt < olderThan);
                if (list.Count > maxEventsPerSession)
                {
                    list.RemoveRange(0, list.Count - maxEventsPerSession);
                }
            }
        }

        return Task.CompletedTask;
    }

    public Task DeleteSessionAsync(string tenant, string sessionId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            _events.Remove((tenant, sessionId));
            _last.Remove((tenant, sessionId));
        }

        return Task.CompletedTask;
    }
}
