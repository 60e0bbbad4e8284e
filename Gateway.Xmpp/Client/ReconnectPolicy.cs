namespace Gateway.Xmpp.Client;

/// <summary>
/// Exponential backoff with full jitter: attempt n waits a random time in [0, min(max, base·2^(n-1))].
/// Full jitter spreads the reconnects of many sessions after a server restart instead of synchronising
/// them (the "thundering herd"). A server's <c>policy-violation</c> (a ban, a rate limit) waits
/// <c>policyViolationDelay</c> instead, jittered over its second half.
/// </summary>
internal sealed class ReconnectPolicy(TimeSpan baseDelay, TimeSpan maxDelay, Random random, TimeSpan? policyViolationDelay = null)
{
    /// <summary>The delay before reconnect <paramref name="attempt"/> after <paramref name="failure"/>.</summary>
    public TimeSpan DelayAfter(XmppException? failure, int attempt)
    {
        if (failure is not null && policyViolationDelay is { } longDelay && ConnectionFailure.IsServerPolicy(failure))
        {
            // Never sooner than half of it: ejabberd's mod_fail2ban keeps banning for its whole lifetime (an hour by
            // default), and an attempt during the ban is one more refused stream per session.
            lock (random)
            {
                return longDelay * (0.5 + (random.NextDouble() * 0.5));
            }
        }

        return NextDelay(attempt);
    }

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
