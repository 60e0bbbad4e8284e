using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Cluster.Forwarding;

/// <summary>
/// Where sessions that this node forwarded calls for recently run: a burst of calls for one session asks its grain once,
/// not once per call. Bounded in time (<see cref="ClusterForwardingOptions.OwnerCacheTtl"/>, from when the grain said
/// so) and size (<see cref="ClusterForwardingOptions.OwnerCacheSize"/> sessions; when full of live entries a new owner
/// is simply not kept), safe for concurrent callers. Holds only owners on other nodes with an HTTP address; an entry is
/// dropped as soon as using it failed (<see cref="Forget(string, string, SessionOwner)"/>: the owner could not be reached, gave no answer, or
/// answered 503 because the session is not there any more), so the next call asks the grain again.
/// </summary>
internal sealed class SessionOwnerCache
{
    private readonly ConcurrentDictionary<Key, Entry> _entries = new();
    private readonly TimeProvider _time;
    private readonly long _ttl;
    private readonly long _sweepInterval;
    private readonly int _capacity;
    private int _count;
    private long _nextSweep;

    public SessionOwnerCache(IOptions<ClusterForwardingOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _ttl = ToTimestamp(options.Value.OwnerCacheTtl, time);
        _sweepInterval = Math.Max(1, _ttl / 4);
        _capacity = options.Value.OwnerCacheSize;
    }

    /// <summary>How many owners are held now (expired ones included until they are next looked at or swept).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>The owner the grain named within the time limit, if it is still held.</summary>
    public bool TryGet(string tenant, string sessionId, [NotNullWhen(true)] out SessionOwner? owner)
    {
        var key = new Key(tenant, sessionId);
        if (_entries.TryGetValue(key, out var entry))
        {
            if (_time.GetTimestamp() < entry.ExpiresAt)
            {
                owner = entry.Owner;
                return true;
            }

            Remove(key, entry);
        }

        owner = null;
        return false;
    }

    /// <summary>Keeps what the grain just said, unless caching is off or the cache is full of live entries.</summary>
    public void Remember(string tenant, string sessionId, SessionOwner owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        if (_ttl <= 0 || _capacity <= 0)
        {
            return;
        }

        var key = new Key(tenant, sessionId);
        var now = _time.GetTimestamp();
        var entry = new Entry(owner, now + _ttl);
        while (true)
        {
            if (_entries.TryGetValue(key, out var existing))
            {
                if (_entries.TryUpdate(key, entry, existing))
                {
                    return;
                }

                continue;
            }

            if (!TryReserve(now))
            {
                return;
            }

            if (_entries.TryAdd(key, entry))
            {
                return;
            }

            // Another caller added it meanwhile: give the slot back and update theirs.
            Interlocked.Decrement(ref _count);
        }
    }

    /// <summary>
    /// Drops the session's entry if it still names <paramref name="owner"/> (an entry another call just refreshed
    /// from the grain stays). True if one was dropped.
    /// </summary>
    public bool Forget(string tenant, string sessionId, SessionOwner owner)
    {
        var key = new Key(tenant, sessionId);
        return _entries.TryGetValue(key, out var entry) && entry.Owner == owner && Remove(key, entry);
    }

    /// <summary>Drops the session's entry, whatever it names (the session is being removed). True if one was dropped.</summary>
    public bool Forget(string tenant, string sessionId)
    {
        if (!_entries.TryRemove(new Key(tenant, sessionId), out _))
        {
            return false;
        }

        Interlocked.Decrement(ref _count);
        return true;
    }

    /// <summary>Takes a slot within the capacity; when full, sweeps out expired entries (at most every quarter TTL) and tries once more.</summary>
    private bool TryReserve(long now)
    {
        return TryTakeSlot() || (SweepIfDue(now) && TryTakeSlot());
    }

    /// <summary>Counts one more entry unless that would exceed the capacity (so <see cref="Count"/> never does).</summary>
    private bool TryTakeSlot()
    {
        var count = Volatile.Read(ref _count);
        while (count < _capacity)
        {
            var seen = Interlocked.CompareExchange(ref _count, count + 1, count);
            if (seen == count)
            {
                return true;
            }

            count = seen;
        }

        return false;
    }

    private bool SweepIfDue(long now)
    {
        var due = Volatile.Read(ref _nextSweep);
        if (now < due || Interlocked.CompareExchange(ref _nextSweep, now + _sweepInterval, due) != due)
        {
            return false;
        }

        foreach (var (key, entry) in _entries)
        {
            if (entry.ExpiresAt <= now)
            {
                Remove(key, entry);
            }
        }

        return true;
    }

    private bool Remove(Key key, Entry entry)
    {
        if (!_entries.TryRemove(new KeyValuePair<Key, Entry>(key, entry)))
        {
            return false;
        }

        Interlocked.Decrement(ref _count);
        return true;
    }

    private static long ToTimestamp(TimeSpan span, TimeProvider time) =>
        span <= TimeSpan.Zero ? 0 : (long)(span.TotalSeconds * time.TimestampFrequency);

    private readonly record struct Key(string Tenant, string SessionId);

    private sealed record Entry(SessionOwner Owner, long ExpiresAt);
}
