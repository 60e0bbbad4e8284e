using System.Collections.Concurrent;
using Gateway.Xmpp.Pool.Persistence;

namespace Gateway.Tests.Fakes;

/// <summary>A durable-looking outbox in memory: what the pool keeps there, observable by tests.</summary>
internal sealed class InMemoryOutbox : IOutbox
{
    private readonly ConcurrentDictionary<(string Tenant, string Session, string Id), OutboxEntry> _entries = new();
    private long _sequence;
    private readonly ConcurrentDictionary<(string Tenant, string Session, string Id), long> _order = new();

    public bool IsDurable => true;

    public int Count => _entries.Count;

    public Task AddAsync(OutboxEntry entry, CancellationToken cancellationToken = default)
    {
        var key = (entry.Tenant, entry.SessionId, entry.StanzaId);
        if (_entries.TryAdd(key, entry))
        {
            _order[key] = Interlocked.Increment(ref _sequence);
        }

        return Task.CompletedTask;
    }

    public Task RemoveAsync(string tenant, string sessionId, string stanzaId, CancellationToken cancellationToken = default)
    {
        _entries.TryRemove((tenant, sessionId, stanzaId), out _);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<OutboxEntry>> LoadAsync(string tenant, string sessionId, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<OutboxEntry>>(
            [.. _entries.Where(p => p.Key.Tenant == tenant && p.Key.Session == sessionId).OrderBy(p => _order.GetValueOrDefault(p.Key)).Select(p => p.Value)]);

    public Task DeleteSessionAsync(string tenant, string sessionId, CancellationToken cancellationToken = default)
    {
        foreach (var key in _entries.Keys.Where(k => k.Tenant == tenant && k.Session == sessionId))
        {
            _entries.TryRemove(key, out _);
        }

        return Task.CompletedTask;
    }
}
