namespace Gateway.Xmpp.Client;

/// <summary>
/// Exponential backoff with full jitter: attempt n waits a random time in [0, min(max, base·2^(n-1))].
/// Full jitter spreads the reconnects of many sessions after a server restart instead of synchronising
/// them (the "thundering herd").
/// </summary>
internal sealed class ReconnectPolicy(TimeSpan baseDelay, TimeSpan maxDelay, Random random)
{
    public TimeSpan NextDelay(int attempt)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        var exponent = Math.Min(attempt - 1, 30);
        var ceiling = Math.Min(maxDelay.TotalMilliseconds, baseDelay.TotalMilliseconds * Math.Pow(2, exponent));
        lock (random)
        {
            return TimeSpan.FromMilliseconds(random.NextDouble() * ceiling);
        }
    }

    /// <summary>The upper bound of the delay for an attempt, for Retry-After hints.</summary>
    public TimeSpan Ceiling(int attempt) =>
        TimeSpan.FromMilliseconds(Math.Min(maxDelay.TotalMilliseconds, baseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(Math.Max(attempt, 1) - 1, 30))));
}
