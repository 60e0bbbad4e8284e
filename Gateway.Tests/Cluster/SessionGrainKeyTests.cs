using Gateway.Api.Cluster;

namespace Gateway.Tests.Cluster;

[Trait("Tier", "Unit")]
public sealed class SessionGrainKeyTests
{
    [Theory]
    [InlineData("alpha", "s1")]
    [InlineData("a.b-c_d", "X_y-9")]
    public void Format_ThenTryParse_RoundTrips(string tenant, string sessionId)
    {
        var key = SessionGrainKey.Format(tenant, sessionId);

        Assert.True(SessionGrainKey.TryParse(key, out var parsedTenant, out var parsedId));
        Assert.Equal(tenant, parsedTenant);
        Assert.Equal(sessionId, parsedId);
    }

    [Fact]
    public void Format_DifferentPairs_GiveDifferentKeys() =>
        Assert.NotEqual(SessionGrainKey.Format("a.b", "c"), SessionGrainKey.Format("a", "b.c"));

    [Theory]
    [InlineData("a/b", "c")]
    [InlineData("a", "b/c")]
    [InlineData("", "c")]
    public void Format_PartThatCouldBeAmbiguous_Throws(string tenant, string sessionId) =>
        Assert.ThrowsAny<ArgumentException>(() => SessionGrainKey.Format(tenant, sessionId));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("noseparator")]
    [InlineData("/id")]
    [InlineData("tenant/")]
    [InlineData("a/b/c")]
    public void TryParse_Malformed_ReturnsFalse(string? key) =>
        Assert.False(SessionGrainKey.TryParse(key, out _, out _));
}
