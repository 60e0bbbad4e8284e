using Gateway.Api.Limits;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Api.Limits;

[Trait("Tier", "Unit")]
public sealed class TenantTokenBucketsTests
{
    private static readonly TenantRateLimitOptions Settings = new() { TokenLimit = 3, TokensPerPeriod = 2, ReplenishmentPeriod = TimeSpan.FromSeconds(1) };

    [Fact]
    public void TryTake_FullBucket_GivesTheLimitThenRefusesUntilTheNextPeriod()
    {
        var clock = new FakeTimeProvider();
        var buckets = new TenantTokenBuckets(Options.Create(Settings), clock);

        Assert.True(buckets.TryTake("alpha", out _));
        Assert.True(buckets.TryTake("alpha", out _));
        Assert.True(buckets.TryTake("alpha", out _));
        clock.Advance(TimeSpan.FromMilliseconds(400));
        Assert.False(buckets.TryTake("alpha", out var retryAfter));
        Assert.Equal(TimeSpan.FromMilliseconds(600), retryAfter);

        clock.Advance(TimeSpan.FromMilliseconds(600));
        Assert.True(buckets.TryTake("alpha", out _));
        Assert.True(buckets.TryTake("alpha", out _));
        Assert.False(buckets.TryTake("alpha", out _));
    }

    [Fact]
    public void TryTake_AfterLongIdle_RefillsToTheLimitOnly()
    {
        var clock = new FakeTimeProvider();
        var buckets = new TenantTokenBuckets(Options.Create(Settings), clock);
        for (var i = 0; i < 3; i++)
        {
            Assert.True(buckets.TryTake("alpha", out _));
        }

        clock.Advance(TimeSpan.FromMinutes(10));

        Assert.Equal(3, Enumerable.Range(0, 5).Count(_ => buckets.TryTake("alpha", out TimeSpan _)));
    }

    [Fact]
    public void TryTake_TenantsHaveTheirOwnBuckets()
    {
        var buckets = new TenantTokenBuckets(Options.Create(Settings), new FakeTimeProvider());
        for (var i = 0; i < 3; i++)
        {
            Assert.True(buckets.TryTake("alpha", out _));
        }

        Assert.False(buckets.TryTake("alpha", out _));
        Assert.True(buckets.TryTake("beta", out _));
    }

    [Fact]
    public void TryTake_PartOfAPeriodIsNotLost()
    {
        var clock = new FakeTimeProvider();
        var buckets = new TenantTokenBuckets(Options.Create(Settings), clock);
        for (var i = 0; i < 3; i++)
        {
            Assert.True(buckets.TryTake("alpha", out _));
        }

        // 0.7 s, then 0.7 s: one whole period has passed at the second ask, counted from the start, not from the first ask.
        clock.Advance(TimeSpan.FromMilliseconds(700));
        Assert.False(buckets.TryTake("alpha", out _));
        clock.Advance(TimeSpan.FromMilliseconds(700));
        Assert.True(buckets.TryTake("alpha", out _));
        Assert.True(buckets.TryTake("alpha", out _));
        Assert.False(buckets.TryTake("alpha", out var retryAfter));
        Assert.Equal(TimeSpan.FromMilliseconds(600), retryAfter);
    }

    [Fact]
    public void TryTake_HourLongPeriodOnANanosecondClock_DoesNotOverflow()
    {
        var buckets = new TenantTokenBuckets(Options.Create(new TenantRateLimitOptions { TokenLimit = 1, TokensPerPeriod = 1, ReplenishmentPeriod = TimeSpan.FromHours(1) }));

        Assert.True(buckets.TryTake("alpha", out _));
        Assert.False(buckets.TryTake("alpha", out var retryAfter));
        Assert.InRange(retryAfter, TimeSpan.FromMinutes(59), TimeSpan.FromHours(1));
    }
}
