using System.Net;
using System.Net.Http.Headers;
using Gateway.Api.Hosting;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Api.Observability;

/// <summary>GET /metrics: absent unless enabled; enabled, only for a scraper with the configured bearer token.</summary>
public sealed class MetricsEndpointTests
{
    internal const string ScrapeToken = "scrape-token-5b0e9d7c21";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    internal static GatewayApiFactory WithPrometheus(GatewayApiFactory factory)
    {
        factory.Settings["Gateway:Telemetry:Prometheus:Enabled"] = "true";
        factory.Settings["Gateway:Telemetry:Prometheus:ScrapeTokenSha256:0"] = GatewayApiFactory.Sha256Hex(ScrapeToken);
        return factory;
    }

    internal static HttpClient CreateScraper(GatewayApiFactory factory)
    {
        var client = factory.CreateClient(apiKey: null);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ScrapeToken);
        return client;
    }

    [Fact]
    public async Task Metrics_Disabled_Returns404()
    {
        await using var app = new GatewayApiFactory();
        using var client = app.CreateAlphaClient();

        var response = await client.GetAsync("/metrics", Token);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Metrics_EnabledWithoutOrWithWrongCredentials_Returns401BearerChallenge()
    {
        await using var app = WithPrometheus(new GatewayApiFactory());
        using var anonymous = app.CreateClient(apiKey: null);
        using var tenant = app.CreateAlphaClient(); // a tenant's API key does not open every tenant's numbers
        using var wrong = app.CreateClient(apiKey: null);
        wrong.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ScrapeToken + "x");

        foreach (var client in new[] { anonymous, tenant, wrong })
        {
            var response = await client.GetAsync("/metrics", Token);

            await response.ProblemAsync(401, "unauthorized");
            Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
            Assert.DoesNotContain("gateway_", await response.Content.ReadAsStringAsync(Token), StringComparison.Ordinal);
        }

        Assert.DoesNotContain(app.Logs.Entries, e => e.AllText.Contains(ScrapeToken, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Metrics_WithScrapeToken_ServesPrometheusTextWithDataPolicyHeaders()
    {
        await using var app = WithPrometheus(new GatewayApiFactory());
        using var scraper = CreateScraper(app);

        var response = await scraper.GetAsync("/metrics", Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync(Token);
        Assert.Contains("gateway_xmpp_sessions{", text, StringComparison.Ordinal);
        Assert.Contains("state=\"online\"", text, StringComparison.Ordinal);
        Assert.Contains("gateway_api_hub_connections", text, StringComparison.Ordinal);
        Assert.Equal(SecurityHeadersMiddleware.DataPolicy, response.Headers.GetValues("Content-Security-Policy").Single());
        app.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task Startup_EnabledWithoutTokenHash_FailsNamingTheSetting()
    {
        await using var app = new GatewayApiFactory();
        app.Settings["Gateway:Telemetry:Prometheus:Enabled"] = "true";

        var failure = Assert.Throws<OptionsValidationException>(() => app.CreateClient());

        Assert.Contains("Gateway:Telemetry:Prometheus:ScrapeTokenSha256", failure.Message, StringComparison.Ordinal);
    }
}
