namespace Gateway.Bench.Load;

/// <summary>
/// The fate of every message of one phase, by sequence number: whether the sender's side accepted it, when the
/// receiver got it, how often. Senders and receivers write it concurrently without locks; it is summarised after
/// the phase has drained.
/// </summary>
internal sealed class DeliveryLog
{
    private const int ChunkBits = 16;
    private const int ChunkSize = 1 << ChunkBits;
    private const int MaxChunks = 4096; // 268 million messages per phase
    private readonly Slot[]?[] _chunks = new Slot[MaxChunks][];
    private readonly Lock _grow = new();
    private long _next;
    private long _accepted;
    private long _received;
    private long _duplicates;
    private long _foreign;

    public DeliveryLog(int phase)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(phase);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(phase, MessageBody.MaxPhase);
        Phase = phase;
    }

    /// <summary>The phase number carried in the messages' bodies.</summary>
    public int Phase { get; }

    public long AcceptedCount => Volatile.Read(ref _accepted);

    /// <summary>Distinct messages received so far.</summary>
    public long ReceivedCount => Volatile.Read(ref _received);

    /// <summary>Accepted messages not received yet (approximate while receipts race acceptances).</summary>
    public long InFlight => Math.Max(0, AcceptedCount - ReceivedCount);

    /// <summary>Receipts of this phase that carried a sequence number never handed out.</summary>
    public long Foreign => Volatile.Read(ref _foreign);

    /// <summary>Hands out <paramref name="count"/> consecutive sequence numbers and returns the first.</summary>
    public long Next(int count = 1)
    {
        var first = Interlocked.Add(ref _next, count) - count;
        Chunk(first + count - 1); // allocate before anyone can receive them
        return first;
    }

    /// <summary>The sending side accepted message <paramref name="seq"/>.</summary>
    public void Accept(long seq)
    {
        ref var slot = ref At(seq);
        if (Interlocked.Exchange(ref slot.Accepted, 1) == 0)
        {
            Interlocked.Increment(ref _accepted);
        }
    }

    /// <summary>The receiver got message <paramref name="seq"/>, sent at <paramref name="sent"/>, at <paramref name="received"/> (Stopwatch ticks).</summary>
    public void Receive(long seq, long sent, long received)
    {
        if (seq < 0 || seq >= Volatile.Read(ref _next))
        {
            Interlocked.Increment(ref _foreign);
            return;
        }

        ref var slot = ref At(seq);
        if (Interlocked.Increment(ref slot.Copies) == 1)
        {
            slot.Sent = sent;
            slot.Received = received;
            Interlocked.Increment(ref _received);
        }
        else
        {
            Interlocked.Increment(ref _duplicates);
        }
    }

    /// <summary>Counts everything; call once the phase has drained.</summary>
    public DeliverySummary Summarize(MeasurementWindow window)
    {
        ArgumentNullException.ThrowIfNull(window);
        var issued = Volatile.Read(ref _next);
        long accepted = 0, delivered = 0, missing = 0, unexpected = 0, inWindow = 0;
        var latency = new LatencyHistogram();
        for (long seq = 0; seq < issued; seq++)
        {
            ref var slot = ref At(seq);
            var received = Volatile.Read(ref slot.Copies) > 0;
            if (slot.Accepted != 0)
            {
                accepted++;
                if (received)
                {
                    delivered++;
                }
                else
                {
                    missing++;
                }
            }
            else if (received)
            {
                unexpected++;
            }

            if (received)
            {
                if (window.Contains(slot.Received))
                {
                    inWindow++;
                }

                if (window.Contains(slot.Sent))
                {
                    latency.RecordTicks(slot.Received - slot.Sent);
                }
            }
        }

        return new DeliverySummary(issued, accepted, delivered, missing, Volatile.Read(ref _duplicates), unexpected, inWindow, latency);
    }

    private ref Slot At(long seq) => ref Chunk(seq)[seq & (ChunkSize - 1)];

    private Slot[] Chunk(long seq)
    {
        var index = seq >> ChunkBits;
        if (index >= MaxChunks)
        {
            throw new InvalidOperationException($"More than {MaxChunks * (long)ChunkSize} messages in one phase.");
        }

        if (Volatile.Read(ref _chunks[index]) is { } chunk)
        {
            return chunk;
        }

        lock (_grow)
        {
            return _chunks[index] ??= new Slot[ChunkSize];
        }
    }

    private struct Slot
    {
        public long Sent;
        public long Received;
        public int Accepted;
        public int Copies;
    }
}
