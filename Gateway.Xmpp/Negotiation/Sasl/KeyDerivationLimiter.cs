namespace Gateway.Xmpp.Negotiation.Sasl;

/// <summary>
/// How many SASL responses that may derive a key (SCRAM's PBKDF2, RFC 5802 §3 Hi()) run at once, across every client
/// that shares it. A derivation is milliseconds of CPU on a thread-pool thread: when a pool logs in many accounts at
/// once (a start, a server restart), unbounded derivations take every core, and the stanzas, HTTP requests and the
/// XMPP server sharing the machine wait behind them. Waiting here costs a login a little latency, never a thread.
/// </summary>
public sealed class KeyDerivationLimiter
{
    // Never disposed: a SemaphoreSlim whose AvailableWaitHandle is never read holds nothing to release, and a login
    // still waiting when its pool stops must see its own cancellation, not an ObjectDisposedException.
    private readonly SemaphoreSlim _slots;
    private int _waiting;

    /// <param name="maxConcurrent">Derivations at once; at least 1.</param>
    public KeyDerivationLimiter(int maxConcurrent)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrent, 1);
        _slots = new SemaphoreSlim(maxConcurrent, maxConcurrent);
    }

    /// <summary>Half the machine's cores, at least one: the rest stay for I/O and for a server on the same machine.</summary>
    public static int DefaultConcurrency => Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>Callers waiting for a slot now.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Runs <paramref name="derive"/> once a slot is free, on the thread that frees it or the caller's.</summary>
    public async ValueTask<T> RunAsync<T>(Func<T> derive, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(derive);
        if (!_slots.Wait(0, CancellationToken.None))
        {
            Interlocked.Increment(ref _waiting);
            try
            {
                await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref _waiting);
            }
        }

        try
        {
            return derive();
        }
        finally
        {
            _slots.Release();
        }
    }
}
