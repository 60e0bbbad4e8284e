using Gateway.Xmpp.Pool;

namespace Gateway.Tests.Pool;

[Trait("Tier", "Unit")]
public sealed class GeneratedSessionIdTests
{
    [Fact]
    public void NewSessionId_TwelveLettersAndDigits_DistinctWhenMadeTogether()
    {
        // Made in a burst, as 64 concurrent creates make them: a time prefix would have them share most characters.
        var ids = Enumerable.Range(0, 20_000).Select(_ => SessionPool.NewSessionId()).ToList();

        Assert.All(ids, id => Assert.Matches("^[A-Za-z0-9]{12}$", id));
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.True(ids.Select(id => id[..4]).Distinct().Count() > 19_000, "the first characters are random too");
    }
}
