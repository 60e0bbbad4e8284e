using Gateway.Api.Cluster;
using Gateway.Api.Cluster.Forwarding;
using Gateway.Tests.Api;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Cluster.Forwarding;

/// <summary>
/// One clustered node (Localhost mode, no XMPP server needed) with a tenant limit of three calls an hour: a call with a
/// real forwarding marker (another node's, which charged it) costs nothing here; a forged marker is charged, then refused.
/// </summary>
[Trait("Tier", "Integration")]
public sealed class ForwardedRateLimitHostTests : IAsyncLifetime
{
    private const int Limit = 3;
    private readonly GatewayApiFactory _app = new();

    public ValueTask InitializeAsync()
    {
        _app.Settings["Gateway:Cluster:Mode"] = nameof(ClusterMode.Localhost);
        _app.Settings["Gateway:Cluster:ClusterId"] = ClusterTestKit.NewClusterId();
        _app.Settings["Gateway:Cluster:AdvertisedHttpUrl"] = "http://127.0.0.1:9/";
        _app.Settings["Gateway:RateLimits:TokenLimit"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _app.Settings["Gateway:RateLimits:TokensPerPeriod"] = "1";
        _app.Settings["Gateway:RateLimits:ReplenishmentPeriod"] = "01:00:00";
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task ForwardedCalls_WithARealMarker_AreNotChargedAgain()
    {
        using var client = _app.CreateAlphaClient();
        var markers = _app.Services.GetRequiredService<ForwardingMarker>();

        // Twice the limit of forwarded calls (for a session that does not run here: 503, the session is moving).
        for (var i = 0; i < 2 * Limit; i++)
        {
            using var forwarded = new HttpRequestMessage(HttpMethod.Get, "/api/v1/sessions/elsewhere/roster");
            forwarded.Headers.Add(ForwardingMarker.HeaderName, markers.Create("GET", "/api/v1/sessions/elsewhere/roster"));
            await (await client.SendAsync(forwarded, ClusterTestKit.Token)).ProblemAsync(503, "session-unavailable");
        }

        // The tenant's own budget here is untouched: exactly the limit, then 429.
        for (var i = 0; i < Limit; i++)
        {
            await (await client.GetAsync(new Uri("/api/v1/sessions", UriKind.Relative), ClusterTestKit.Token)).ReadAsync<object>(200);
        }

        await (await client.GetAsync(new Uri("/api/v1/sessions", UriKind.Relative), ClusterTestKit.Token)).ProblemAsync(429, "rate-limited");
    }

    [Fact]
    public async Task ForgedMarkers_AreChargedAndRefused_NeverBypassTheLimit()
    {
        using var client = _app.CreateAlphaClient();
        for (var i = 0; i < Limit; i++)
        {
            await (await client.SendAsync(Forged(), ClusterTestKit.Token)).ProblemAsync(400, "bad-request");
        }

        // Each forged call cost a token: the budget is spent, forged or not.
        await (await client.GetAsync(new Uri("/api/v1/sessions", UriKind.Relative), ClusterTestKit.Token)).ProblemAsync(429, "rate-limited");
        await (await client.SendAsync(Forged(), ClusterTestKit.Token)).ProblemAsync(429, "rate-limited");

        // Another tenant's budget is its own.
        using var beta = _app.CreateBetaClient();
        await (await beta.GetAsync(new Uri("/api/v1/sessions", UriKind.Relative), ClusterTestKit.Token)).ReadAsync<object>(200);
    }

    private static HttpRequestMessage Forged()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/sessions/elsewhere/roster");
        request.Headers.Add(ForwardingMarker.HeaderName, "CfDJ8forged");
        return request;
    }
}
