using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Persistence;

namespace Gateway.Bench.HubFanout;

/// <summary>The pool as the dispatcher sees it: a stream of events, each journaled (in memory) before it is handed out.</summary>
internal sealed class BenchEventPool : ISessionPool
{
    private readonly Channel<SessionEvent> _events = Channel.CreateUnbounded<SessionEvent>(new() { SingleReader = true });
    private readonly List<SessionEvent> _journal = [];

    public void Publish(SessionEvent e)
    {
        lock (_journal)
        {
            _journal.Add(e);
        }

        _events.Writer.TryWrite(e);
    }

    public async IAsyncEnumerable<SessionEvent> ReadEventsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var e in _events.Reader.ReadAllAsync(cancellationToken))
        {
            yield return e;
        }
    }

    public Task<EventPage> ReadHistoryAsync(string tenant, string sessionId, long afterEventId, int limit, long maxBytes, CancellationToken cancellationToken = default)
    {
        lock (_journal)
        {
            var events = _journal.Where(e => e.Tenant == tenant && e.SessionId == sessionId && e.EventId > afterEventId).Take(limit).ToList();
            var last = _journal.Count == 0 ? 0 : _journal[^1].EventId;
            return Task.FromResult(new EventPage(events, _journal.Count == 0 ? 0 : 1, last, Gap: false));
        }
    }

    public Task<SessionInfo> CreateAsync(string tenant, SessionSpec spec, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public IReadOnlyList<SessionInfo> List(string tenant) => [];

    public IManagedSession? Find(string tenant, string sessionId) => null;

    public Task<bool> RemoveAsync(string tenant, string sessionId, CancellationToken cancellationToken = default) => Task.FromResult(false);

    public Task<SessionInfo?> UpdateAsync(string tenant, string sessionId, SessionSpecChange change, CancellationToken cancellationToken = default) => Task.FromResult<SessionInfo?>(null);

    public PoolHealth GetHealth() => new(true, ImmutableDictionary<SessionState, int>.Empty);
}
