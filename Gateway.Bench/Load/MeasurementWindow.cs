using System.Diagnostics;

namespace Gateway.Bench.Load;

/// <summary>
/// The counted part of a phase, after the warm-up, in <see cref="Stopwatch"/> ticks. Set by the phase runner while
/// senders run, so a sender can tell whether a request it just finished started inside it.
/// </summary>
internal sealed class MeasurementWindow
{
    private long _start;
    private long _end;

    /// <summary>When counting started; 0 while warming up.</summary>
    public long Start => Volatile.Read(ref _start);

    /// <summary>When counting ended; 0 while it runs.</summary>
    public long End => Volatile.Read(ref _end);

    /// <summary>The window's length; only meaningful once it has ended.</summary>
    public TimeSpan Duration => Stopwatch.GetElapsedTime(Start, End);

    public void Open(long timestamp) => Volatile.Write(ref _start, timestamp);

    public void Close(long timestamp) => Volatile.Write(ref _end, timestamp);

    /// <summary>Whether <paramref name="timestamp"/> falls inside the window (an open window has no end yet).</summary>
    public bool Contains(long timestamp)
    {
        var start = Start;
        if (start == 0 || timestamp < start)
        {
            return false;
        }

        var end = End;
        return end == 0 || timestamp < end;
    }
}
