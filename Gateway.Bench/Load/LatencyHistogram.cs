using System.Diagnostics;

namespace Gateway.Bench.Load;

/// <summary>
/// Latencies in microseconds, thread-safe and allocation-free per value: exact below 1,024 µs, then 128 buckets per
/// power of two (under 0.8% error), up to about 12 days.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int Linear = 1024;     // 2^10: values below are their own bucket
    private const int SubBucketBits = 7; // 128 buckets per power of two above
    private const int MaxExponent = 40;
    private readonly long[] _counts = new long[Linear + ((MaxExponent - 10 + 1) << SubBucketBits)];
    private long _count;
    private long _max;

    /// <summary>The number of values recorded.</summary>
    public long Count => Volatile.Read(ref _count);

    /// <summary>Records a duration given in <see cref="Stopwatch"/> ticks.</summary>
    public void RecordTicks(long ticks) => Record(ticks <= 0 ? 0 : ticks * 1_000_000 / Stopwatch.Frequency);

    /// <summary>Records a duration in microseconds.</summary>
    public void Record(long microseconds)
    {
        var value = Math.Max(0, microseconds);
        Interlocked.Increment(ref _counts[Index(value)]);
        Interlocked.Increment(ref _count);
        var max = Volatile.Read(ref _max);
        while (value > max && Interlocked.CompareExchange(ref _max, value, max) is var seen && seen != max)
        {
            max = seen;
        }
    }

    /// <summary>Adds another histogram's values to this one.</summary>
    public void Add(LatencyHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (var i = 0; i < _counts.Length; i++)
        {
            _counts[i] += other._counts[i];
        }

        _count += other._count;
        _max = Math.Max(_max, other._max);
    }

    /// <summary>The value at <paramref name="percentile"/> (0-100) in microseconds (the bucket's midpoint), or null when empty.</summary>
    public double? Percentile(double percentile)
    {
        var count = Count;
        if (count == 0)
        {
            return null;
        }

        var rank = (long)Math.Ceiling(percentile / 100.0 * count);
        rank = Math.Clamp(rank, 1, count);
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += Volatile.Read(ref _counts[i]);
            if (seen >= rank)
            {
                return Math.Min(Midpoint(i), Volatile.Read(ref _max));
            }
        }

        return Volatile.Read(ref _max);
    }

    private static int Index(long value)
    {
        if (value < Linear)
        {
            return (int)value;
        }

        var exponent = Math.Min(63 - long.LeadingZeroCount(value), MaxExponent);
        var sub = (int)((value >> (int)(exponent - SubBucketBits)) & ((1 << SubBucketBits) - 1));
        if (exponent == MaxExponent && value >= 1L << (MaxExponent + 1))
        {
            sub = (1 << SubBucketBits) - 1;
        }

        return Linear + ((int)(exponent - 10) << SubBucketBits) + sub;
    }

    private static double Midpoint(int index)
    {
        if (index < Linear)
        {
            return index;
        }

        var exponent = ((index - Linear) >> SubBucketBits) + 10;
        var sub = (index - Linear) & ((1 << SubBucketBits) - 1);
        var width = 1L << (exponent - SubBucketBits);
        var low = (1L << exponent) + (sub * width);
        return low + (width / 2.0);
    }
}
