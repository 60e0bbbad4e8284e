using System.Collections.Concurrent;
using Gateway.Xmpp.Pool.Persistence;

namespace Gateway.Tests.Fakes;

/// <summary>A durable-looking outbox in memory: what the pool keeps there, observable by tests.</summary>
internal sealed class InMemoryOutbox : IOutbox
{
    /// <summary>Each entry with its acceptance number, for <see cref="LoadAsync"/>'s order.</summary>
    private readonly ConcurrentDictionary<(string Tenant, string Session, string Id), (OutboxEntry Entry, long Sequence)> _entries = new();
    private long _sequence;

    public bool IsDurable => true;

    public int Count => _entries.Count;

    public Task AddAsync(OutboxEntry entry, CancellationToken cancellationToken = default)
    {
        _entries.TryAdd((entry.Tenant, entry.SessionId, entry.StanzaId), (entry, Interlocked.Increment(ref _sequence)));
        return Task.CompletedTask;
    }

    public Task RemoveAsync(string tenant, string sessionId, string stanzaId, CancellationToken cancellationToken = default)
    {
        _entries.TryRemove((tenant, sessionId, stanzaId), out _);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<OutboxEntry>> LoadAsync(string tenant, string sessionId, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<OutboxEntry>>(
            [.. _entries.Where(p => p.Key.Tenant == tenant && p.Key.Session == sessionId).OrderBy(p => p.Value.Sequence).Select(p => p.Value.Entry)]);

    public Task DeleteSessionAsync(string tenant, string sessionId, CancellationToken cancellationToken = default)
    {
        foreach (var key in _entries.Keys.Where(k => k.Tenant == tenant && k.Session == sessionId))
        {
            _entries.TryRemove(key, out _);
        }

        return Task.CompletedTask;
    }
}
