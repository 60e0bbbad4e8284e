using Gateway.Api.Cluster.Forwarding;
using Microsoft.AspNetCore.DataProtection;

namespace Gateway.Tests.Cluster.Forwarding;

[Trait("Tier", "Unit")]
public sealed class ForwardingMarkerTests
{
    private static readonly IDataProtectionProvider KeyRing = new EphemeralDataProtectionProvider();

    [Fact]
    public void Check_MarkerMadeForTheRequest_IsValidOnAnotherNodeWithTheSameKeyRing()
    {
        var marker = new ForwardingMarker(KeyRing).Create("post", "/api/v1/sessions/s/messages?wait=server");

        Assert.Equal(MarkerCheck.Valid, new ForwardingMarker(KeyRing).Check(marker, "POST", "/api/v1/sessions/s/messages?wait=server"));
    }

    [Fact]
    public void Check_NoMarker_IsAbsent()
    {
        Assert.Equal(MarkerCheck.Absent, new ForwardingMarker(KeyRing).Check(null, "GET", "/api/v1/sessions/s"));
        Assert.Equal(MarkerCheck.Absent, new ForwardingMarker(KeyRing).Check("", "GET", "/api/v1/sessions/s"));
    }

    [Theory]
    [InlineData("1")]
    [InlineData("true")]
    [InlineData("CfDJ8not-a-real-payload")]
    [InlineData("%%%")]
    public void Check_ForgedMarker_IsInvalid(string forged) =>
        Assert.Equal(MarkerCheck.Invalid, new ForwardingMarker(KeyRing).Check(forged, "GET", "/api/v1/sessions/s"));

    [Fact]
    public void Check_MarkerOfAnotherRequest_IsInvalid()
    {
        var markers = new ForwardingMarker(KeyRing);
        var marker = markers.Create("GET", "/api/v1/sessions/s/roster");

        Assert.Equal(MarkerCheck.Invalid, markers.Check(marker, "GET", "/api/v1/sessions/other/roster"));
        Assert.Equal(MarkerCheck.Invalid, markers.Check(marker, "DELETE", "/api/v1/sessions/s/roster"));
        Assert.Equal(MarkerCheck.Invalid, markers.Check(marker, "GET", "/api/v1/sessions/s/roster?x=1"));
    }

    [Fact]
    public void Check_MarkerOfAnotherKeyRing_IsInvalid()
    {
        var marker = new ForwardingMarker(new EphemeralDataProtectionProvider()).Create("GET", "/api/v1/sessions/s");

        Assert.Equal(MarkerCheck.Invalid, new ForwardingMarker(KeyRing).Check(marker, "GET", "/api/v1/sessions/s"));
    }
}
