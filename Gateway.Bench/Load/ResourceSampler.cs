namespace Gateway.Bench.Load;

/// <summary>
/// Samples the resident set size of the measured processes every 100 ms and keeps each one's peak since the last
/// <see cref="ResetPeaks"/>: VmHWM alone only knows the peak over the whole life of a process.
/// </summary>
internal sealed class ResourceSampler : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);
    private readonly IReadOnlyList<ProcessMeter> _meters;
    private readonly long[] _peaks;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public ResourceSampler(IReadOnlyList<ProcessMeter> meters)
    {
        _meters = meters;
        _peaks = new long[meters.Count];
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>Starts a new peak for every process (at the current RSS).</summary>
    public void ResetPeaks()
    {
        for (var i = 0; i < _meters.Count; i++)
        {
            Volatile.Write(ref _peaks[i], _meters[i].ReadRssKib());
        }
    }

    /// <summary>The highest RSS sampled since the last reset, in KiB.</summary>
    public long PeakKib(ProcessMeter meter)
    {
        var index = IndexOf(meter);
        var now = meter.ReadRssKib();
        return Math.Max(Volatile.Read(ref _peaks[index]), now);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            for (var i = 0; i < _meters.Count; i++)
            {
                var rss = _meters[i].ReadRssKib();
                var peak = Volatile.Read(ref _peaks[i]);
                while (rss > peak && Interlocked.CompareExchange(ref _peaks[i], rss, peak) is var seen && seen != peak)
                {
                    peak = seen;
                }
            }
        }
    }

    private int IndexOf(ProcessMeter meter)
    {
        for (var i = 0; i < _meters.Count; i++)
        {
            if (ReferenceEquals(_meters[i], meter))
            {
                return i;
            }
        }

        throw new ArgumentException($"{meter.Name} is not sampled.", nameof(meter));
    }
}
