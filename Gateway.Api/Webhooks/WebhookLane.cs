using System.Threading.Channels;

namespace Gateway.Api.Webhooks;

/// <summary>
/// The line of one session's events to one webhook: a loop that delivers them one at a time, in order, and sleeps
/// when there is nothing to do (until rung) or the head of the line waits for its next attempt (until then, or rung).
/// A ring while it works makes it look once more, so a wake-up is never lost. Owned by its <see cref="WebhookWorker"/>,
/// which awaits it on dispose.
/// </summary>
internal sealed class WebhookLane
{
    /// <summary>How long a lane waits after an unexpected failure (the store, the journal) before it looks again.</summary>
    private static readonly TimeSpan FailureDelay = TimeSpan.FromSeconds(5);

    // Capacity 1, extra rings dropped: rings coalesce into "look again".
    private readonly Channel<bool> _doorbell = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Func<string, CancellationToken, Task<TimeSpan?>> _step;
    private readonly Action<string, TimeSpan, Exception> _onFailure;

    /// <param name="sessionId">The session.</param>
    /// <param name="step">Does the next piece of work; returns zero to go on, a delay to sleep, null when idle.</param>
    /// <param name="onFailure">Reports an unexpected failure of a step.</param>
    public WebhookLane(string sessionId, Func<string, CancellationToken, Task<TimeSpan?>> step, Action<string, TimeSpan, Exception> onFailure)
    {
        SessionId = sessionId;
        _step = step;
        _onFailure = onFailure;
    }

    public string SessionId { get; }

    public Task Completion { get; private set; } = Task.CompletedTask;

    public void Start(CancellationToken cancellationToken) => Completion = Task.Run(() => RunAsync(cancellationToken), CancellationToken.None);

    /// <summary>Never blocks: at most one ring is kept.</summary>
    public void Ring() => _doorbell.Writer.TryWrite(true);

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            _doorbell.Reader.TryRead(out _);
            TimeSpan? wait;
            try
            {
                wait = await _step(SessionId, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                _onFailure(SessionId, FailureDelay, ex);
                wait = FailureDelay;
            }

            if (wait == TimeSpan.Zero)
            {
                continue;
            }

            using var sleep = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (wait is { } delay)
            {
                sleep.CancelAfter(delay);
            }

            try
            {
                await _doorbell.Reader.WaitToReadAsync(sleep.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // The delay ran out: time for the next attempt.
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
