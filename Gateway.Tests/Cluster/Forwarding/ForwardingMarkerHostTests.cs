using Gateway.Api.Cluster;
using Gateway.Api.Cluster.Forwarding;
using Gateway.Tests.Api;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Cluster.Forwarding;

/// <summary>
/// One clustered node (Localhost mode, no XMPP server needed): what the forwarding marker does to a caller's request.
/// A forged marker is refused; a real one (another node's) for a session this node does not run is a 503, never a
/// second forwarding; neither gets past authentication.
/// </summary>
[Trait("Tier", "Integration")]
public sealed class ForwardingMarkerHostTests : IAsyncLifetime
{
    private readonly GatewayApiFactory _app = new();

    public ValueTask InitializeAsync()
    {
        _app.Settings["Gateway:Cluster:Mode"] = nameof(ClusterMode.Localhost);
        _app.Settings["Gateway:Cluster:ClusterId"] = ClusterTestKit.NewClusterId();
        _app.Settings["Gateway:Cluster:AdvertisedHttpUrl"] = "http://127.0.0.1:9/";
        _app.Settings["Gateway:Cluster:Forwarding:RetryAfter"] = "00:00:03";
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task ForgedMarker_IsRefusedWith400_AndGainsNothing()
    {
        using var client = _app.CreateAlphaClient();
        foreach (var path in new[] { "/api/v1/sessions/nobody", "/api/v1/sessions/nobody/roster", "/api/v1/sessions" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Add(ForwardingMarker.HeaderName, "1");

            var problem = await (await client.SendAsync(request, ClusterTestKit.Token)).ProblemAsync(400, "bad-request");

            Assert.Contains(ForwardingMarker.HeaderName, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        Assert.Contains(_app.Logs.Entries, e => e.EventId.Id == 7204);
    }

    [Fact]
    public async Task ForwardedRequest_ForASessionNotRunHere_Is503WithRetryAfter_NeverForwardedAgain()
    {
        // A marker as another node of the cluster makes it (same key ring: the store's).
        var marker = _app.Services.GetRequiredService<ForwardingMarker>().Create("GET", "/api/v1/sessions/elsewhere/roster");
        using var client = _app.CreateAlphaClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/sessions/elsewhere/roster");
        request.Headers.Add(ForwardingMarker.HeaderName, marker);

        var response = await client.SendAsync(request, ClusterTestKit.Token);

        await response.ProblemAsync(503, "session-unavailable");
        Assert.Equal(TimeSpan.FromSeconds(3), response.Headers.RetryAfter?.Delta);
        Assert.Contains(_app.Logs.Entries, e => e.EventId.Id == 7205);
        Assert.DoesNotContain(_app.Logs.Entries, e => e.EventId.Id is 7201 or 7202);
    }

    [Fact]
    public async Task MarkedRequest_WithoutApiKey_Is401_AndAnotherTenantsSessionStays404()
    {
        var marker = _app.Services.GetRequiredService<ForwardingMarker>().Create("GET", "/api/v1/sessions/nobody");
        using (var anonymous = _app.CreateClient(apiKey: null))
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/sessions/nobody");
            request.Headers.Add(ForwardingMarker.HeaderName, marker);
            await (await anonymous.SendAsync(request, ClusterTestKit.Token)).ProblemAsync(401);
        }

        // Unmarked, a session nobody runs is asked of its grain and answered 404 here, like any unknown session.
        using var beta = _app.CreateBetaClient();
        await (await beta.GetAsync(new Uri("/api/v1/sessions/nobody/roster", UriKind.Relative), ClusterTestKit.Token)).ProblemAsync(404, "session-not-found");
        await (await beta.GetAsync(new Uri("/api/v1/sessions/nobody", UriKind.Relative), ClusterTestKit.Token)).ProblemAsync(404, "session-not-found");
    }

    [Fact]
    public void MarkerKeyRing_IsTheGatewaysOwn()
    {
        // The marker is protected with the gateway's Data Protection key ring (shared by every node through the store),
        // so an ephemeral ring of a caller's own cannot make one.
        var foreign = new ForwardingMarker(new EphemeralDataProtectionProvider()).Create("GET", "/api/v1/sessions/s");

        Assert.Equal(MarkerCheck.Invalid, _app.Services.GetRequiredService<ForwardingMarker>().Check(foreign, "GET", "/api/v1/sessions/s"));
    }
}
