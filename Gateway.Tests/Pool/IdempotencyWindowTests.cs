using Gateway.Xmpp.Pool;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Pool;

public sealed class IdempotencyWindowTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void SameKeyWithinWindow_FirstOutcomeOnce()
    {
        var window = new IdempotencyWindow<int>(TimeSpan.FromMinutes(10), 100, _time);
        var calls = 0;

        var first = window.GetOrAdd("k", () => ++calls);
        _time.Advance(TimeSpan.FromMinutes(9));
        var retry = window.GetOrAdd("k", () => ++calls);

        Assert.Equal(1, first);
        Assert.Equal(1, retry);
        Assert.Equal(1, calls);
    }

    [Fact]
    public void SameKeyAfterWindow_CountsAsNew()
    {
        var window = new IdempotencyWindow<int>(TimeSpan.FromMinutes(10), 100, _time);
        var calls = 0;

        window.GetOrAdd("k", () => ++calls);
        _time.Advance(TimeSpan.FromMinutes(10));

        Assert.Equal(2, window.GetOrAdd("k", () => ++calls));
        Assert.Equal(1, window.Count);
    }

    [Fact]
    public void BeyondCapacity_OldestKeysForgotten()
    {
        var window = new IdempotencyWindow<string>(TimeSpan.FromHours(1), 3, _time);
        foreach (var key in new[] { "a", "b", "c", "d" })
        {
            window.GetOrAdd(key, () => key + "-first");
        }

        Assert.Equal(3, window.Count);
        Assert.Equal("a-again", window.GetOrAdd("a", () => "a-again"));
        Assert.Equal("d-first", window.GetOrAdd("d", () => "d-again"));
    }

    [Fact]
    public void RefusedAttempt_NotRemembered_RetryTriesAgain()
    {
        var window = new IdempotencyWindow<int>(TimeSpan.FromHours(1), 2, _time);

        Assert.Throws<InvalidOperationException>(() => window.GetOrAdd("k", () => throw new InvalidOperationException("queue full")));
        Assert.Equal(7, window.GetOrAdd("k", () => 7));

        // The refused attempt's stale place in the order must not evict the key's newer entry.
        window.GetOrAdd("x", () => 1);
        Assert.Equal(7, window.GetOrAdd("k", () => 8));
    }

    [Fact]
    public void TryGet_FindsOnlyKeysWithinWindow_AndCreatesNothing()
    {
        var window = new IdempotencyWindow<int>(TimeSpan.FromMinutes(10), 100, _time);

        Assert.False(window.TryGet("k", out _));
        Assert.Equal(0, window.Count);

        window.GetOrAdd("k", () => 5);
        Assert.True(window.TryGet("k", out var remembered));
        Assert.Equal(5, remembered);

        _time.Advance(TimeSpan.FromMinutes(10));
        Assert.False(window.TryGet("k", out _));
    }
}
