using System.Diagnostics;

namespace Gateway.Tests.Reliability;

/// <summary>
/// A sender's clock: one message every 1/rate seconds. Timer jitter is made up (up to a quarter second), but when a
/// message took longer (it was retried through a restart) the pace resumes from there, as a producer that waits for
/// each send does. With <paramref name="catchUp"/> the time lost is made up at once instead, as a producer with a
/// backlog does: after an outage everything that piled up is sent as fast as the gateway takes it.
/// </summary>
internal sealed class Pace(double perSecond, bool catchUp)
{
    private readonly TimeSpan _slack = catchUp ? TimeSpan.MaxValue / 2 : TimeSpan.FromMilliseconds(250);

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly TimeSpan _interval = TimeSpan.FromSeconds(1 / perSecond);
    private TimeSpan _next = TimeSpan.Zero;

    public async Task NextAsync(CancellationToken cancellationToken)
    {
        var wait = _next - _clock.Elapsed;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, cancellationToken);
        }

        var behind = _clock.Elapsed - _slack;
        _next = (_next > behind ? _next : behind) + _interval;
    }
}
