using Gateway.Xmpp;
using Gateway.Xmpp.Session;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Session;

/// <summary>The per-connection inbound quota: token buckets on a fake clock.</summary>
[Trait("Tier", "Unit")]
public sealed class InboundThrottleTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Take_WithinTheBurst_NoPause()
    {
        var bucket = new TokenBucket(ratePerSecond: 10, capacity: 10, _time);

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(TimeSpan.Zero, bucket.Take(1));
        }
    }

    [Fact]
    public void Take_BeyondTheBurst_PauseUntilTheDebtIsRepaid()
    {
        var bucket = new TokenBucket(ratePerSecond: 10, capacity: 10, _time);
        for (var i = 0; i < 10; i++)
        {
            bucket.Take(1);
        }

        Assert.Equal(TimeSpan.FromMilliseconds(100), bucket.Take(1));
        Assert.Equal(TimeSpan.FromMilliseconds(200), bucket.Take(1));

        _time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.Equal(TimeSpan.FromMilliseconds(100), bucket.Take(1));
    }

    [Fact]
    public void Take_AfterAQuietPeriod_RefillsOnlyUpToTheCapacity()
    {
        var bucket = new TokenBucket(ratePerSecond: 10, capacity: 5, _time);
        bucket.Take(5);

        _time.Advance(TimeSpan.FromHours(1));

        Assert.Equal(5, bucket.Available, precision: 6);
    }

    [Fact]
    public void Take_SustainedFlood_AverageHeldToTheRate()
    {
        // A reader that waits what each take returns, on a clock that only moves by those waits.
        var throttle = new InboundThrottle(new InboundQuota { StanzasPerSecond = 100 }, _time);
        var start = _time.GetUtcNow();

        for (var i = 0; i < 1_100; i++)
        {
            _time.Advance(throttle.Take(bytes: 200));
        }

        // The first second's burst (100) is free; the other 1,000 take ten seconds.
        Assert.Equal(10, (_time.GetUtcNow() - start).TotalSeconds, precision: 3);
    }

    [Fact]
    public void Take_ByteQuota_LargeElementsPauseLongerThanSmallOnes()
    {
        var throttle = new InboundThrottle(new InboundQuota { StanzasPerSecond = 1_000, BytesPerSecond = 10_000 }, _time);
        throttle.Take(10_000);

        Assert.Equal(TimeSpan.FromMilliseconds(1), throttle.Take(10));
        Assert.Equal(TimeSpan.FromSeconds(1), throttle.Take(9_990));
    }

    [Fact]
    public void Take_NoLimits_NeverPauses()
    {
        var throttle = new InboundThrottle(new InboundQuota(), _time);

        Assert.Equal(TimeSpan.Zero, throttle.Take(long.MaxValue / 2));
    }
}
