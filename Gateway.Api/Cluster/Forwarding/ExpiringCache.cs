using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace Gateway.Api.Cluster.Forwarding;

/// <summary>
/// A small concurrent cache whose entries expire, bounded in size: what a node remembers about other nodes' answers for
/// a short while (a session's owner, a forwarding marker it made or verified). An expired entry is never returned and is
/// dropped when next looked at; when the cache is full, expired entries are swept out (at most every quarter of
/// <c>sweepInterval</c>) and, if it is still full of live entries, a new entry is simply not kept. So a burst of new keys
/// costs what it would cost without a cache, and never grows the memory.
/// </summary>
/// <typeparam name="TKey">The key.</typeparam>
/// <typeparam name="TValue">What is remembered, compared by <see cref="EqualityComparer{T}.Default"/> in <see cref="Forget(TKey, TValue)"/>.</typeparam>
internal sealed class ExpiringCache<TKey, TValue>
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, Entry> _entries;
    private readonly TimeProvider _time;
    private readonly long _sweepInterval;
    private readonly int _capacity;
    private int _count;
    private long _nextSweep;

    /// <param name="capacity">Entries at most; zero keeps nothing.</param>
    /// <param name="sweepInterval">The shortest time between two sweeps of a full cache (typically a quarter of the entries' lifetime).</param>
    /// <param name="time">The clock of every expiry.</param>
    /// <param name="comparer">The keys' comparer; null for the default one.</param>
    public ExpiringCache(int capacity, TimeSpan sweepInterval, TimeProvider time, IEqualityComparer<TKey>? comparer = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        ArgumentNullException.ThrowIfNull(time);
        _entries = new ConcurrentDictionary<TKey, Entry>(comparer);
        _time = time;
        _capacity = capacity;
        _sweepInterval = Math.Max(1, ToTimestamp(sweepInterval));
    }

    /// <summary>How many entries are held now (expired ones included until they are next looked at or swept).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>The value kept for <paramref name="key"/>, unless there is none or it expired.</summary>
    public bool TryGet(TKey key, [MaybeNullWhen(false)] out TValue value)
    {
        if (_entries.TryGetValue(key, out var entry))
        {
            if (_time.GetTimestamp() < entry.ExpiresAt)
            {
                value = entry.Value;
                return true;
            }

            Remove(key, entry);
        }

        value = default;
        return false;
    }

    /// <summary>
    /// Keeps <paramref name="value"/> for <paramref name="lifetime"/> from now, replacing what the key had; nothing when
    /// the lifetime is not positive, the capacity is zero, or the cache is full of live entries.
    /// </summary>
    public void Set(TKey key, TValue value, TimeSpan lifetime)
    {
        if (lifetime <= TimeSpan.Zero || _capacity == 0)
        {
            return;
        }

        var now = _time.GetTimestamp();
        var entry = new Entry(value, now + ToTimestamp(lifetime));
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

            if (!TryTakeSlot() && !(SweepIfDue(now) && TryTakeSlot()))
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

    /// <summary>Drops the key's entry if it still holds <paramref name="value"/> (one just set again stays). True if one was dropped.</summary>
    public bool Forget(TKey key, TValue value) =>
        _entries.TryGetValue(key, out var entry) && EqualityComparer<TValue>.Default.Equals(entry.Value, value) && Remove(key, entry);

    /// <summary>Drops the key's entry, whatever it holds. True if one was dropped.</summary>
    public bool Forget(TKey key)
    {
        if (!_entries.TryRemove(key, out _))
        {
            return false;
        }

        Interlocked.Decrement(ref _count);
        return true;
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

    /// <summary>Sweeps out expired entries unless another caller swept within the interval; true if this call swept.</summary>
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

    /// <summary>Removes exactly this entry (not one set again meanwhile).</summary>
    private bool Remove(TKey key, Entry entry)
    {
        if (!_entries.TryRemove(new KeyValuePair<TKey, Entry>(key, entry)))
        {
            return false;
        }

        Interlocked.Decrement(ref _count);
        return true;
    }

    private long ToTimestamp(TimeSpan span) =>
        span <= TimeSpan.Zero ? 0 : (long)Math.Min(long.MaxValue / 2, span.TotalSeconds * _time.TimestampFrequency);

    /// <summary>A reference type, so that removing "exactly this entry" compares the instance, not an equal value set again.</summary>
    private sealed class Entry(TValue value, long expiresAt)
    {
        public TValue Value { get; } = value;

        public long ExpiresAt { get; } = expiresAt;
    }
}
