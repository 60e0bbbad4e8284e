using Gateway.Api.Hubs;

namespace Gateway.Tests.Api.Hubs;

[Trait("Tier", "Unit")]
public sealed class HubGroupsTests
{
    [Theory]
    [InlineData("a:b", "c", "a", "b:c")]
    [InlineData("a", "1:b:c", "a:1", "b:c")]
    [InlineData("tenant", "s", "tenan", "t:s")]
    public void Session_TenantAndIdSplitDifferently_NeverSameGroup(string tenant1, string session1, string tenant2, string session2) =>
        Assert.NotEqual(HubGroups.Session(tenant1, session1), HubGroups.Session(tenant2, session2));

    [Fact]
    public void Session_SameTenantAndId_SameGroup() =>
        Assert.Equal(HubGroups.Session("acme", "s1"), HubGroups.Session("acme", "s1"));
}
