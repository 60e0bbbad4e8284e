namespace Gateway.Bench.Load;

/// <summary>
/// Deliveries of one phase's messages to many subscribers: per message, how many subscribers got it and when the
/// last one did; per subscriber, which messages it got (to count duplicates). Written concurrently by every
/// subscriber's receive loop.
/// </summary>
internal sealed class FanoutLog
{
    private readonly int _subscribers;
    private readonly int _capacity;
    private readonly int[] _copies;
    private readonly long[] _sent;
    private readonly long[] _last;
    private readonly ulong[][] _seen;
    private readonly MeasurementWindow _window;
    private long _deliveries;
    private long _deliveriesInWindow;
    private long _duplicates;
    private long _foreign;

    /// <param name="phase">The phase number carried in the bodies.</param>
    /// <param name="subscribers">How many subscribers record into it.</param>
    /// <param name="capacity">The most messages the phase may send.</param>
    /// <param name="window">The phase's window, to count deliveries inside it.</param>
    public FanoutLog(int phase, int subscribers, int capacity, MeasurementWindow window)
    {
        Phase = phase;
        _window = window;
        _subscribers = subscribers;
        _capacity = capacity;
        _copies = new int[capacity];
        _sent = new long[capacity];
        _last = new long[capacity];
        _seen = Enumerable.Range(0, subscribers).Select(_ => new ulong[(capacity + 63) / 64]).ToArray();
    }

    public int Phase { get; }

    /// <summary>First receipts by any subscriber so far.</summary>
    public long Deliveries => Interlocked.Read(ref _deliveries);

    /// <summary>Subscriber <paramref name="subscriber"/> got message <paramref name="seq"/> (sent at <paramref name="sent"/>) at <paramref name="received"/>.</summary>
    public void Record(int subscriber, long seq, long sent, long received)
    {
        if (seq < 0 || seq >= _capacity)
        {
            Interlocked.Increment(ref _foreign);
            return;
        }

        var index = (int)seq;
        ref var word = ref _seen[subscriber][index >> 6];
        var bit = 1UL << (index & 63);
        if ((Interlocked.Or(ref word, bit) & bit) != 0)
        {
            Interlocked.Increment(ref _duplicates);
            return;
        }

        Interlocked.Increment(ref _deliveries);
        if (_window.Contains(received))
        {
            Interlocked.Increment(ref _deliveriesInWindow);
        }

        Volatile.Write(ref _sent[index], sent);
        var last = Volatile.Read(ref _last[index]);
        while (received > last && Interlocked.CompareExchange(ref _last[index], received, last) is var seen && seen != last)
        {
            last = seen;
        }

        Interlocked.Increment(ref _copies[index]);
    }

    /// <summary>
    /// Counts everything for the <paramref name="accepted"/> messages the sender sent (sequence numbers 0 to
    /// accepted-1): deliveries expected, missing, duplicates, and the latency to the last subscriber of each message
    /// sent inside the window that every subscriber got.
    /// </summary>
    public FanoutSummary Summarize(long accepted)
    {
        var window = _window;
        var toLast = new LatencyHistogram();
        long incomplete = 0, inWindow = 0;
        var messages = Math.Min(accepted, _capacity);
        for (var i = 0; i < messages; i++)
        {
            var copies = Volatile.Read(ref _copies[i]);
            if (copies < _subscribers)
            {
                incomplete++;
                continue;
            }

            if (window.Contains(_sent[i]))
            {
                inWindow++;
                toLast.RecordTicks(_last[i] - _sent[i]);
            }
        }

        var expected = messages * _subscribers;
        return new FanoutSummary(
            messages, _subscribers, expected, expected - Deliveries, Interlocked.Read(ref _duplicates), incomplete, inWindow,
            Interlocked.Read(ref _deliveriesInWindow), toLast);
    }
}
