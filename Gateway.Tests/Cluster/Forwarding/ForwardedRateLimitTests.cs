using System.Security.Claims;
using Gateway.Api.Auth;
using Gateway.Api.Cluster.Forwarding;
using Gateway.Api.Limits;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;

namespace Gateway.Tests.Cluster.Forwarding;

/// <summary>
/// Without a host: which requests the tenant limiter charges. A forwarded request with a marker a node of the cluster
/// made for it is not charged again; a header alone, a forged marker or one made for another request is charged.
/// </summary>
[Trait("Tier", "Unit")]
public sealed class ForwardedRateLimitTests
{
    private const string Path = "/api/v1/sessions/s1/roster";
    private static readonly TenantRateLimitOptions Limits = new();
    private readonly ForwardingMarker _markers = new(new EphemeralDataProtectionProvider());

    [Fact]
    public void PlainRequest_IsChargedToItsTenant()
    {
        Assert.True(TenantRateLimiting.IsCharged(Request(marker: null), Limits, out var tenant));
        Assert.Equal("alpha", tenant);
    }

    [Fact]
    public async Task VerifiedMarker_IsNotChargedAgain()
    {
        var context = Request(_markers.Create("GET", Path));

        await RunMarkerMiddlewareAsync(context);

        Assert.True(ChargedUpstream.IsMarked(context));
        Assert.False(TenantRateLimiting.IsCharged(context, Limits, out _));
        Assert.False(context.Request.Headers.ContainsKey(ForwardingMarker.HeaderName));
    }

    [Theory]
    [InlineData("1")]
    [InlineData("CfDJ8forged")]
    public async Task ForgedMarker_IsCharged(string forged)
    {
        var context = Request(forged);

        await RunMarkerMiddlewareAsync(context);

        Assert.Equal(MarkerCheck.Invalid, context.Features.Get<ForwardingMarkerFeature>()?.Check);
        Assert.False(ChargedUpstream.IsMarked(context));
        Assert.True(TenantRateLimiting.IsCharged(context, Limits, out _));
    }

    [Fact]
    public async Task MarkerMadeForAnotherRequest_IsCharged()
    {
        var context = Request(_markers.Create("GET", "/api/v1/sessions/s1"));

        await RunMarkerMiddlewareAsync(context);

        Assert.Equal(MarkerCheck.Invalid, context.Features.Get<ForwardingMarkerFeature>()?.Check);
        Assert.True(TenantRateLimiting.IsCharged(context, Limits, out _));
    }

    [Fact]
    public void MarkerHeader_WithoutItsCheck_IsCharged()
    {
        // A node that never checked the marker (its middleware not in the pipeline, Mode None) charges the request:
        // the header by itself exempts nothing.
        var context = Request(_markers.Create("GET", Path));

        Assert.True(TenantRateLimiting.IsCharged(context, Limits, out _));
    }

    [Fact]
    public void MarkerFromAnotherKeyRing_IsCharged()
    {
        var context = Request(new ForwardingMarker(new EphemeralDataProtectionProvider()).Create("GET", Path));

        Assert.Equal(MarkerCheck.Invalid, ForwardingMarkerFeature.Verify(context, _markers));
        Assert.True(TenantRateLimiting.IsCharged(context, Limits, out _));
    }

    private Task RunMarkerMiddlewareAsync(HttpContext context) =>
        new ForwardingMarkerMiddleware(_ => Task.CompletedTask, _markers).InvokeAsync(context);

    private static DefaultHttpContext Request(string? marker)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Path = Path;
        context.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ApiKeyDefaults.TenantClaim, "alpha")], ApiKeyDefaults.Scheme));
        if (marker is not null)
        {
            context.Request.Headers[ForwardingMarker.HeaderName] = marker;
        }

        return context;
    }
}
