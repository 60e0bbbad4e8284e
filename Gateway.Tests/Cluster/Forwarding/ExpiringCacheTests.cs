using Gateway.Api.Cluster.Forwarding;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Cluster.Forwarding;

/// <summary>
/// The bounded expiring cache behind the owner cache and the forwarding marker's two caches, on a fake clock: what the
/// callers rely on beyond <see cref="SessionOwnerCacheTests"/> (one lifetime there, one per entry here).
/// </summary>
[Trait("Tier", "Unit")]
public sealed class ExpiringCacheTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void EachEntry_ExpiresAfterItsOwnLifetime()
    {
        var cache = new ExpiringCache<string, string>(10, TimeSpan.FromSeconds(1), _time);
        cache.Set("short", "a", TimeSpan.FromSeconds(2));
        cache.Set("long", "b", TimeSpan.FromSeconds(30));

        _time.Advance(TimeSpan.FromSeconds(2));

        Assert.False(cache.TryGet("short", out _));
        Assert.True(cache.TryGet("long", out var value));
        Assert.Equal("b", value);
        Assert.Equal(1, cache.Count);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void Set_WithNoLifetimeLeft_KeepsNothing(int seconds)
    {
        // A verified marker that expires as it is checked is not worth remembering.
        var cache = new ExpiringCache<string, string>(10, TimeSpan.FromSeconds(1), _time);
        cache.Set("marker", "payload", TimeSpan.FromSeconds(seconds));

        Assert.False(cache.TryGet("marker", out _));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Full_StillUpdatesAKeyItHolds()
    {
        var cache = new ExpiringCache<string, string>(1, TimeSpan.FromSeconds(1), _time);
        cache.Set("a", "first", TimeSpan.FromSeconds(5));
        cache.Set("b", "refused", TimeSpan.FromSeconds(5));
        cache.Set("a", "second", TimeSpan.FromSeconds(5));

        Assert.False(cache.TryGet("b", out _));
        Assert.True(cache.TryGet("a", out var value));
        Assert.Equal("second", value);
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void Full_SweepsAtMostOncePerInterval()
    {
        var cache = new ExpiringCache<string, string>(1, TimeSpan.FromSeconds(10), _time);
        cache.Set("a", "1", TimeSpan.FromSeconds(1));
        _time.Advance(TimeSpan.FromSeconds(2));

        // Full of an expired entry: this set sweeps it out and takes its place.
        cache.Set("b", "2", TimeSpan.FromSeconds(1));
        Assert.True(cache.TryGet("b", out _));

        // b expires too, but the last sweep was less than the interval ago: c is not kept (and costs no sweep).
        _time.Advance(TimeSpan.FromSeconds(2));
        cache.Set("c", "3", TimeSpan.FromSeconds(5));
        Assert.False(cache.TryGet("c", out _));

        _time.Advance(TimeSpan.FromSeconds(8));
        cache.Set("c", "3", TimeSpan.FromSeconds(5));
        Assert.True(cache.TryGet("c", out _));
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void ZeroCapacity_KeepsNothing()
    {
        var cache = new ExpiringCache<string, string>(0, TimeSpan.FromSeconds(1), _time);
        cache.Set("a", "1", TimeSpan.FromSeconds(5));

        Assert.False(cache.TryGet("a", out _));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Keys_UseTheGivenComparer()
    {
        var cache = new ExpiringCache<string, string>(10, TimeSpan.FromSeconds(1), _time, StringComparer.Ordinal);
        cache.Set("Marker", "1", TimeSpan.FromSeconds(5));

        Assert.False(cache.TryGet("marker", out _));
        Assert.True(cache.TryGet("Marker", out _));
    }
}
