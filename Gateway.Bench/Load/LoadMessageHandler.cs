namespace Gateway.Bench.Load;

/// <summary>A subscriber got a load message: its phase and sequence number, the sender's timestamp and the arrival time (Stopwatch ticks).</summary>
internal delegate void LoadMessageHandler(int phase, long seq, long sent, long received);
