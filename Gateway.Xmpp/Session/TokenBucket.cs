namespace Gateway.Xmpp.Session;

/// <summary>
/// A token bucket that may go into debt: taking more than is there succeeds, and says how long until the debt is
/// repaid. One reader uses it (the connection's read loop), so it takes no lock.
/// </summary>
/// <remarks>
/// Debt rather than refusal because what is taken has already been read: the caller's answer to the debt is to wait
/// that long before reading more, which keeps the average at <c>rate</c> even for a single element larger than the bucket.
/// </remarks>
internal sealed class TokenBucket
{
    private readonly double _ratePerSecond;
    private readonly double _capacity;
    private readonly TimeProvider _time;
    private double _tokens;
    private long _last;

    /// <param name="ratePerSecond">Tokens added per second.</param>
    /// <param name="capacity">The most tokens it holds (the burst); it starts full.</param>
    /// <param name="time">The clock.</param>
    public TokenBucket(double ratePerSecond, double capacity, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ratePerSecond);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _ratePerSecond = ratePerSecond;
        _capacity = capacity;
        _time = time;
        _tokens = capacity;
        _last = time.GetTimestamp();
    }

    /// <summary>Tokens available now (negative while in debt).</summary>
    public double Available
    {
        get
        {
            Refill();
            return _tokens;
        }
    }

    /// <summary>Takes <paramref name="amount"/> tokens; returns how long until the bucket is out of debt (zero when it is not in debt).</summary>
    public TimeSpan Take(double amount)
    {
        Refill();
        _tokens -= amount;
        return _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / _ratePerSecond);
    }

    private void Refill()
    {
        var now = _time.GetTimestamp();
        var elapsed = _time.GetElapsedTime(_last, now);
        _last = now;
        _tokens = Math.Min(_capacity, _tokens + (elapsed.TotalSeconds * _ratePerSecond));
    }
}
