using System.Diagnostics;

namespace Gateway.Bench.Load;

/// <summary>
/// The time line of one phase: start the sender, let it warm up, count for the phase duration (CPU snapshots at the
/// window's edges), stop the sender (a request in flight completes), then wait for stragglers until nothing is
/// outstanding, nothing has arrived for a while, or the drain limit is reached.
/// </summary>
internal sealed class PhaseRunner
{
    /// <summary>The drain gives up after this long without a single new delivery.</summary>
    private static readonly TimeSpan DrainIdle = TimeSpan.FromSeconds(5);

    private readonly LoadContext _context;

    public PhaseRunner(LoadContext context) => _context = context;

    /// <param name="window">The window the sender and the logs use.</param>
    /// <param name="send">Sends until its token is cancelled.</param>
    /// <param name="outstanding">Accepted messages (or deliveries) not received yet.</param>
    /// <param name="cancellationToken">Aborts the run.</param>
    public async Task<PhaseTiming> RunAsync(
        MeasurementWindow window, Func<CancellationToken, Task<SenderReport>> send, Func<long> outstanding, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(window);
        ArgumentNullException.ThrowIfNull(send);
        ArgumentNullException.ThrowIfNull(outstanding);
        var options = _context.Options;
        _context.Sampler.ResetPeaks();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sending = Task.Run(() => send(stop.Token), CancellationToken.None);

        // A sender that fails early ends the phase at once, with its exception.
        await Task.WhenAny(sending, Task.Delay(options.Warmup, cancellationToken));
        ThrowIfFaulted(sending);
        var start = _context.TakeCpuSnapshot();
        window.Open(start.Timestamp);
        await Task.WhenAny(sending, Task.Delay(options.Duration, cancellationToken));
        ThrowIfFaulted(sending);
        var end = _context.TakeCpuSnapshot();
        window.Close(end.Timestamp);
        cancellationToken.ThrowIfCancellationRequested();
        await stop.CancelAsync();
        var report = await sending;
        var (drain, drained) = await DrainAsync(outstanding, options.MaxDrain, cancellationToken);
        var gateway = _context.GatewayMeter;
        return new PhaseTiming(
            window,
            end.Since(start),
            report,
            gateway is null ? 0 : _context.Sampler.PeakKib(gateway),
            gateway?.ReadPeakRssKib() ?? 0,
            _context.Sampler.PeakKib(_context.ProsodyMeter),
            drain,
            drained);
    }

    /// <summary>
    /// Waits for stragglers after sending stopped: until nothing is outstanding, nothing has arrived for
    /// <see cref="DrainIdle"/>, or <paramref name="maxDrain"/> has passed. Returns how long it waited and whether
    /// everything arrived.
    /// </summary>
    public static async Task<(TimeSpan Elapsed, bool Drained)> DrainAsync(Func<long> outstanding, TimeSpan maxDrain, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outstanding);
        var drain = Stopwatch.StartNew();
        var last = outstanding();
        var lastProgress = Stopwatch.GetTimestamp();
        while (last > 0 && drain.Elapsed < maxDrain && Stopwatch.GetElapsedTime(lastProgress) < DrainIdle)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
            var now = outstanding();
            if (now < last)
            {
                lastProgress = Stopwatch.GetTimestamp();
            }

            last = now;
        }

        return (drain.Elapsed, last <= 0);
    }

    private static void ThrowIfFaulted(Task<SenderReport> sending)
    {
        if (sending.IsFaulted)
        {
            sending.GetAwaiter().GetResult();
        }

        if (sending.IsCompleted)
        {
            throw new InvalidOperationException("The sender stopped before the phase ended.");
        }
    }
}
