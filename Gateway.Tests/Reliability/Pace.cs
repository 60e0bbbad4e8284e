using System.Diagnostics;

namespace Gateway.Tests.Reliability;

/// <summary>
/// A steady sender's clock: one message every 1/rate seconds. Timer jitter is made up (up to <see cref="Slack"/>), but
/// when a message took longer (it was retried through a restart) the pace resumes from there: no burst to make up for
/// the outage, as a source producing at a fixed rate would behave.
/// </summary>
internal sealed class Pace(double perSecond)
{
    private static readonly TimeSpan Slack = TimeSpan.FromMilliseconds(250);

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

        var behind = _clock.Elapsed - Slack;
        _next = (_next > behind ? _next : behind) + _interval;
    }
}
