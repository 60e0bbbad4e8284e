using Gateway.Api.Cluster.Forwarding;

namespace Gateway.Tests.Cluster.Forwarding;

[Trait("Tier", "Unit")]
public sealed class ForwardableRoutesTests
{
    [Theory]
    [InlineData("/api/v1/sessions/{id}", "GET")]
    [InlineData("/api/v1/sessions/{id}/messages", "POST")]
    [InlineData("/api/v1/sessions/{id}/messages/batch", "POST")]
    [InlineData("/api/v1/sessions/{id}/messages/{messageId}", "GET")]
    [InlineData("/api/v1/sessions/{id}/roster/{jid}", "PUT")]
    [InlineData("/api/v1/sessions/{id}/rooms/{room}", "DELETE")]
    [InlineData("/api/v1/sessions/{id}/iq", "POST")]
    [InlineData("/api/v1/sessions/{id}/uploads", "POST")]
    [InlineData("/api/v1/sessions/{id}/history", "GET")]
    [InlineData("api/v1/sessions/{id}/presence/", "GET")]
    public void IsForwardable_SessionScopedRoutes(string pattern, string method) =>
        Assert.True(ForwardableRoutes.IsForwardable(pattern, method));

    [Theory]
    // Removal and creation go through the grain; the list spans the cluster by itself.
    [InlineData("/api/v1/sessions/{id}", "DELETE")]
    [InlineData("/api/v1/sessions", "POST")]
    [InlineData("/api/v1/sessions", "GET")]

    // Event streams are served by every node (cross-node events), as is the hub.
    [InlineData("/api/v1/sessions/{id}/events", "GET")]
    [InlineData("/api/v1/sessions/{id}/events/{more}", "GET")]
    [InlineData("/hubs/gateway", "POST")]
    [InlineData("/api/v1/sessions/{identifier}", "GET")]
    [InlineData("/api/v1/sessionsx/{id}", "GET")]
    [InlineData("/api/v1/webhooks/{id}", "GET")]
    [InlineData(null, "GET")]
    public void IsForwardable_EverythingElse_IsNot(string? pattern, string method) =>
        Assert.False(ForwardableRoutes.IsForwardable(pattern, method));
}
