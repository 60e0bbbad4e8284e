namespace Gateway.Xmpp.Session;

/// <summary>
/// Applies an <see cref="InboundQuota"/> to one connection's read loop: each element read takes one stanza token and
/// its size in byte tokens, and the loop waits the returned time before reading the next (back-pressure, never a drop).
/// </summary>
internal sealed class InboundThrottle
{
    private readonly TokenBucket? _stanzas;
    private readonly TokenBucket? _bytes;

    public InboundThrottle(InboundQuota quota, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(quota);
        var burst = quota.Burst.TotalSeconds;
        if (quota.StanzasPerSecond > 0)
        {
            _stanzas = new TokenBucket(quota.StanzasPerSecond, Math.Max(1, quota.StanzasPerSecond * burst), time);
        }

        if (quota.BytesPerSecond > 0)
        {
            _bytes = new TokenBucket(quota.BytesPerSecond, Math.Max(1, quota.BytesPerSecond * burst), time);
        }
    }

    /// <summary>Counts one element of <paramref name="bytes"/> bytes; returns how long to pause reading (zero: read on).</summary>
    public TimeSpan Take(long bytes)
    {
        var byCount = _stanzas?.Take(1) ?? TimeSpan.Zero;
        var bySize = _bytes?.Take(bytes) ?? TimeSpan.Zero;
        return byCount > bySize ? byCount : bySize;
    }
}
