using Gateway.Api.Cluster;
using Gateway.Api.Cluster.Forwarding;

namespace Gateway.Tests.Cluster.Forwarding;

[Trait("Tier", "Unit")]
public sealed class ForwardingPlanTests
{
    private const string Here = "S127.0.0.1:11111:1";
    private const string There = "S127.0.0.1:22222:2";

    [Theory]
    [InlineData(MarkerCheck.Absent, true, ForwardingAction.Serve)]
    [InlineData(MarkerCheck.Absent, false, ForwardingAction.Lookup)]
    [InlineData(MarkerCheck.Valid, true, ForwardingAction.Serve)]

    // Forwarded once already: answered here or 503, never forwarded again (no loops).
    [InlineData(MarkerCheck.Valid, false, ForwardingAction.Moving)]
    [InlineData(MarkerCheck.Invalid, true, ForwardingAction.Refuse)]
    [InlineData(MarkerCheck.Invalid, false, ForwardingAction.Refuse)]
    internal void Start_DecidesFromMarkerAndLocalPool(MarkerCheck marker, bool runsHere, ForwardingAction expected) =>
        Assert.Equal(expected, ForwardingPlan.Start(marker, runsHere));

    [Fact]
    public void AfterLookup_NoAnswer_IsUnavailable() =>
        Assert.Equal(ForwardingAction.Unavailable, ForwardingPlan.AfterLookup(null, Here));

    [Fact]
    public void AfterLookup_NotHosted_IsServedHere() =>
        Assert.Equal(ForwardingAction.Serve, ForwardingPlan.AfterLookup(new SessionOwner(There, "http://b/", Hosted: false), Here));

    [Fact]
    public void AfterLookup_HostedHereNow_IsServedHere() =>
        Assert.Equal(ForwardingAction.Serve, ForwardingPlan.AfterLookup(new SessionOwner(Here, "http://a/", Hosted: true), Here));

    [Fact]
    public void AfterLookup_HostedElsewhere_IsForwarded() =>
        Assert.Equal(ForwardingAction.Forward, ForwardingPlan.AfterLookup(new SessionOwner(There, "http://b/", Hosted: true), Here));

    [Fact]
    public void AfterLookup_HostedElsewhereWithoutAddress_IsUnavailable() =>
        Assert.Equal(ForwardingAction.Unavailable, ForwardingPlan.AfterLookup(new SessionOwner(There, null, Hosted: true), Here));
}
