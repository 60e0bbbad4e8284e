namespace Gateway.Xmpp.Pool;

/// <summary>
/// The first outcome per idempotency key, for a bounded time and number of keys: a retry within the window
/// gets the first attempt's result; a key older than the window, or pushed out by newer ones beyond the
/// capacity, counts as new. Without the bounds a busy session would keep every key it ever saw.
/// </summary>
internal sealed class IdempotencyWindow<T>(TimeSpan window, int capacity, TimeProvider time)
{
    private readonly Dictionary<string, Entry> _byKey = new(StringComparer.Ordinal);
    private readonly Queue<Entry> _order = new();
    private readonly object _gate = new();

    /// <summary>
    /// The outcome first created for <paramref name="key"/> within the window, else <paramref name="create"/>'s
    /// (called once per key, outside the lock). A <paramref name="create"/> that throws is not remembered.
    /// </summary>
    public T GetOrAdd(string key, Func<T> create)
    {
        Entry first;
        lock (_gate)
        {
            var now = time.GetUtcNow();
            Expire(now);
            if (!_byKey.TryGetValue(key, out first!))
            {
                first = new Entry(key, now, new Outcome(create));
                _byKey.Add(key, first);
                _order.Enqueue(first);
                while (_order.Count > capacity)
                {
                    Forget(_order.Dequeue());
                }
            }
        }

        try
        {
            return first.Outcome.Value;
        }
        catch
        {
            // Refused outright (e.g. the queue was full): nothing was sent, so a retry must really try again.
            lock (_gate)
            {
                Forget(first);
            }

            throw;
        }
    }

    /// <summary>The outcome remembered for <paramref name="key"/> within the window, without creating one.</summary>
    public bool TryGet(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out T outcome)
    {
        Entry? entry;
        lock (_gate)
        {
            Expire(time.GetUtcNow());
            _byKey.TryGetValue(key, out entry);
        }

        if (entry is null)
        {
            outcome = default;
            return false;
        }

        outcome = entry.Outcome.Value;
        return true;
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                Expire(time.GetUtcNow());
                return _byKey.Count;
            }
        }
    }

    private void Expire(DateTimeOffset now)
    {
        while (_order.TryPeek(out var oldest) && now - oldest.At >= window)
        {
            Forget(_order.Dequeue());
        }
    }

    /// <summary>Removes the entry unless its key has since been taken by a newer one (after a refused attempt).</summary>
    private void Forget(Entry entry)
    {
        if (_byKey.TryGetValue(entry.Key, out var current) && ReferenceEquals(current, entry))
        {
            _byKey.Remove(entry.Key);
        }
    }

    private sealed record Entry(string Key, DateTimeOffset At, Outcome Outcome);

    /// <summary>Runs the first attempt once; every caller of the key gets its value or its exception.</summary>
    private sealed class Outcome(Func<T> create)
    {
        private readonly object _gate = new();
        private bool _created;
        private T? _value;
        private System.Runtime.ExceptionServices.ExceptionDispatchInfo? _error;

        public T Value
        {
            get
            {
                lock (_gate)
                {
                    if (!_created)
                    {
                        try
                        {
                            _value = create();
                        }
#pragma warning disable CA1031 // Kept and rethrown to every caller of the key, as the first attempt's outcome.
                        catch (Exception ex)
#pragma warning restore CA1031
                        {
                            _error = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex);
                        }

                        _created = true;
                    }
                }

                _error?.Throw();
                return _value!;
            }
        }
    }
}
