using Gateway.Api.Cluster;
using Gateway.Api.Cluster.Forwarding;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Cluster.Forwarding;

/// <summary>The owner cache without a silo or sockets: kept for its time, dropped when used in vain, bounded, thread-safe.</summary>
[Trait("Tier", "Unit")]
public sealed class SessionOwnerCacheTests
{
    private static readonly SessionOwner NodeA = new("silo-a", "http://127.0.0.1:5001/", Hosted: true);
    private static readonly SessionOwner NodeB = new("silo-b", "http://127.0.0.1:5002/", Hosted: true);
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Remembered_IsKeptForItsTime_ThenAskedAgain()
    {
        var cache = Create(TimeSpan.FromSeconds(5), 100);
        cache.Remember("alpha", "s1", NodeA);

        _time.Advance(TimeSpan.FromSeconds(4.9));
        Assert.True(cache.TryGet("alpha", "s1", out var owner));
        Assert.Equal(NodeA, owner);

        _time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.False(cache.TryGet("alpha", "s1", out _));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Entries_AreKeyedByTenantAndSession()
    {
        var cache = Create(TimeSpan.FromSeconds(5), 100);
        cache.Remember("alpha", "s1", NodeA);

        Assert.False(cache.TryGet("beta", "s1", out _));
        Assert.False(cache.TryGet("alpha", "s2", out _));
    }

    [Fact]
    public void Forget_DropsOnlyTheOwnerThatFailed()
    {
        var cache = Create(TimeSpan.FromSeconds(5), 100);
        cache.Remember("alpha", "s1", NodeB);

        // A call that used A failed, but another call meanwhile learned B from the grain: B stays.
        Assert.False(cache.Forget("alpha", "s1", NodeA));
        Assert.True(cache.TryGet("alpha", "s1", out var owner));
        Assert.Equal(NodeB, owner);

        Assert.True(cache.Forget("alpha", "s1", NodeB));
        Assert.False(cache.TryGet("alpha", "s1", out _));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void ForgetSession_DropsWhateverItNames()
    {
        var cache = Create(TimeSpan.FromSeconds(5), 100);
        cache.Remember("alpha", "s1", NodeA);

        Assert.True(cache.Forget("alpha", "s1"));
        Assert.False(cache.Forget("alpha", "s1"));
        Assert.False(cache.TryGet("alpha", "s1", out _));
    }

    [Fact]
    public void Remember_AgainRefreshesTheTimeAndTheOwner()
    {
        var cache = Create(TimeSpan.FromSeconds(5), 100);
        cache.Remember("alpha", "s1", NodeA);
        _time.Advance(TimeSpan.FromSeconds(4));
        cache.Remember("alpha", "s1", NodeB);
        _time.Advance(TimeSpan.FromSeconds(4));

        Assert.True(cache.TryGet("alpha", "s1", out var owner));
        Assert.Equal(NodeB, owner);
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void Full_KeepsNoMore_UntilEntriesExpire()
    {
        var cache = Create(TimeSpan.FromSeconds(4), 2);
        cache.Remember("alpha", "s1", NodeA);
        cache.Remember("alpha", "s2", NodeA);
        cache.Remember("alpha", "s3", NodeA);

        Assert.Equal(2, cache.Count);
        Assert.False(cache.TryGet("alpha", "s3", out _));

        // Once the first two have expired, room is made for a new one (by a sweep, not by a lookup of each).
        _time.Advance(TimeSpan.FromSeconds(4));
        cache.Remember("alpha", "s4", NodeB);
        Assert.True(cache.TryGet("alpha", "s4", out _));
        Assert.Equal(1, cache.Count);
    }

    [Theory]
    [InlineData(0, 100)]
    [InlineData(5, 0)]
    public void Off_KeepsNothing(int ttlSeconds, int size)
    {
        var cache = Create(TimeSpan.FromSeconds(ttlSeconds), size);
        cache.Remember("alpha", "s1", NodeA);

        Assert.False(cache.TryGet("alpha", "s1", out _));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public async Task ConcurrentCallers_NeverExceedTheBound_AndCountWhatIsHeld()
    {
        const int Size = 64;
        var cache = Create(TimeSpan.FromMinutes(1), Size);
        var workers = Enumerable.Range(0, 8).Select(worker => Task.Run(() =>
        {
            for (var i = 0; i < 20_000; i++)
            {
                var session = "s" + ((i * 7 + worker) % 200);
                var owner = i % 2 == 0 ? NodeA : NodeB;
                switch (i % 5)
                {
                    case 0:
                        cache.Forget("alpha", session, owner);
                        break;
                    case 1:
                        cache.Forget("alpha", session);
                        break;
                    case 2:
                        cache.TryGet("alpha", session, out _);
                        break;
                    default:
                        cache.Remember("alpha", session, owner);
                        break;
                }

                Assert.InRange(cache.Count, 0, Size);
            }
        }, TestContext.Current.CancellationToken));
        await Task.WhenAll(workers);

        var held = Enumerable.Range(0, 200).Count(i => cache.TryGet("alpha", "s" + i, out _));
        Assert.Equal(held, cache.Count);
        Assert.InRange(held, 0, Size);
    }

    [Theory]
    [InlineData(ForwardOutcome.NotConnected, 0, "not connected")]
    [InlineData(ForwardOutcome.NoAnswer, 0, "no answer")]
    [InlineData(ForwardOutcome.Broken, 200, "answer broke off")]
    [InlineData(ForwardOutcome.Answered, 503, "it answered 503")]
    [InlineData(ForwardOutcome.Answered, 200, null)]
    [InlineData(ForwardOutcome.Answered, 404, null)]
    [InlineData(ForwardOutcome.Answered, 429, null)]
    internal void AfterAForward_TheOwnerIsForgottenUnlessItAnswered(ForwardOutcome outcome, int status, string? reason) =>
        Assert.Equal(reason, SessionForwardingMiddleware.ForgetReason(outcome, status));

    private SessionOwnerCache Create(TimeSpan ttl, int size) =>
        new(Options.Create(new ClusterForwardingOptions { OwnerCacheTtl = ttl, OwnerCacheSize = size }), _time);
}
