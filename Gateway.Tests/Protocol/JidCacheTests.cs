using Gateway.Xmpp;

namespace Gateway.Tests.Protocol;

/// <summary>Jid.Parse keeps recent results: a cached answer must be the answer a fresh parse gives.</summary>
[Trait("Tier", "Unit")]
public sealed class JidCacheTests
{
    [Fact]
    public void Parse_SameStringInstanceTwice_SameJid()
    {
        string text = new('x', 1);
        text = string.Concat(text, "@example.com/res");

        Jid first = Jid.Parse(text);
        Jid second = Jid.Parse(text);

        Assert.Same(first, second);
        Assert.Same(text, second.ToString());
    }

    [Fact]
    public void Parse_EqualStringsOfDifferentInstances_EqualJidsEachReturningItsOwnInput()
    {
        string first = string.Concat("juliet", "@example.com/balcony");
        string second = string.Concat("juliet@", "example.com/balcony");

        Jid a = Jid.Parse(first);
        Jid b = Jid.Parse(second);

        Assert.Equal(a, b);
        Assert.Same(first, a.ToString());
        Assert.Same(second, b.ToString());
    }

    [Fact]
    public void Parse_NotNormalisedInput_CachedResultIsStillNormalised()
    {
        string text = string.Concat("JULIET@Example.COM.", "/balcony");

        Jid first = Jid.Parse(text);
        Jid second = Jid.Parse(string.Concat("JULIET@Example.COM.", "/balcony"));

        Assert.Equal("juliet@example.com/balcony", first.ToString());
        Assert.Equal("juliet@example.com/balcony", second.ToString());
        Assert.Equal(first, second);
    }

    [Fact]
    public void TryParse_InvalidInput_RefusedEveryTime()
    {
        for (int i = 0; i < 3; i++)
        {
            Assert.False(Jid.TryParse("a@b@c", out _, out string? error));
            Assert.Contains("domainpart", error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Parse_MoreAddressesThanTheCacheHolds_EveryResultExact()
    {
        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < 2000; i++)
            {
                string text = $"User{i}@Host{i % 37}.example/r{i % 11}";

                Jid jid = Jid.Parse(text);

                Assert.Equal($"user{i}", jid.Local);
                Assert.Equal($"host{i % 37}.example", jid.Domain);
                Assert.Equal($"r{i % 11}", jid.Resource);
            }
        }
    }

    [Fact]
    public async Task Parse_ManyThreadsAtOnce_EveryResultExact()
    {
        string[] texts = [.. Enumerable.Range(0, 600).Select(i => $"u{i}@d{i % 13}.example/r{i}")];

        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            for (int round = 0; round < 50; round++)
            {
                foreach (string text in texts)
                {
                    Assert.Equal(text, Jid.Parse(text).ToString());
                }
            }
        }, TestContext.Current.CancellationToken)));
    }
}
