using System.Net;
using System.Text.RegularExpressions;
using Gateway.Tests.Api.Fakes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Gateway.Tests.Api.Hosting;

/// <summary>What the gateway shows the network: security headers, HSTS, forwarded headers, Swagger, HTTPS redirection.</summary>
[Trait("Tier", "Api")]
public sealed partial class HttpExposureTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/api/v1/sessions", true, HttpStatusCode.OK)]
    [InlineData("/api/v1/sessions", false, HttpStatusCode.Unauthorized)]
    [InlineData("/api/v1/sessions/no-such-session", true, HttpStatusCode.NotFound)]
    [InlineData("/", false, HttpStatusCode.OK)]
    [InlineData("/app.js", false, HttpStatusCode.OK)]
    [InlineData("/health", false, HttpStatusCode.OK)]
    public async Task AnyResponse_CarriesSecurityHeaders(string url, bool withKey, HttpStatusCode expected)
    {
        await using var app = new GatewayApiFactory { Pool = new FakeSessionPool() };
        using var client = app.CreateClient(withKey ? GatewayApiFactory.AlphaKey : null);

        using var response = await client.GetAsync(url, Token);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.Equal("no-referrer", Header(response, "Referrer-Policy"));
        Assert.Equal("DENY", Header(response, "X-Frame-Options"));
        Assert.Equal("same-origin", Header(response, "Cross-Origin-Opener-Policy"));
        Assert.Contains("frame-ancestors 'none'", Header(response, "Content-Security-Policy"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DemoPage_PolicyAllowsItsOwnScriptsAndSignalROnly_PageHasNoInlineScriptOrStyle()
    {
        await using var app = new GatewayApiFactory { Pool = new FakeSessionPool() };
        using var client = app.CreateClient(apiKey: null);

        using var response = await client.GetAsync("/", Token);
        var page = await response.Content.ReadAsStringAsync(Token);
        var policy = Header(response, "Content-Security-Policy");

        Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("connect-src 'self'", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", policy, StringComparison.Ordinal);

        // What the policy forbids must not be on the page: every script is a file, no inline style or handler.
        Assert.All(ScriptTag().Matches(page), tag => Assert.Contains(" src=", tag.Value, StringComparison.Ordinal));
        Assert.DoesNotContain("<style", page, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotMatch(InlineHandlerOrStyle(), page);
    }

    [Fact]
    public async Task ApiResponse_PolicyAllowsNothingToLoad()
    {
        await using var app = new GatewayApiFactory { Pool = new FakeSessionPool() };
        using var client = app.CreateClient(GatewayApiFactory.AlphaKey);

        using var response = await client.GetAsync("/api/v1/sessions", Token);

        Assert.StartsWith("default-src 'none'", Header(response, "Content-Security-Policy"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/swagger/v1/swagger.json")]
    [InlineData("/swagger/index.html")]
    public async Task Swagger_OutsideDevelopment_OffByDefault_OnWhenEnabled(string url)
    {
        await using var off = new GatewayApiFactory { Pool = new FakeSessionPool() };
        await using var on = new GatewayApiFactory { Pool = new FakeSessionPool() };
        on.Settings["Gateway:Http:EnableSwagger"] = "true";

        using var offResponse = await off.CreateClient(apiKey: null).GetAsync(url, Token);
        using var onResponse = await on.CreateClient(apiKey: null).GetAsync(url, Token);

        Assert.NotEqual(HttpStatusCode.OK, offResponse.StatusCode);
        Assert.DoesNotContain("swagger", await offResponse.Content.ReadAsStringAsync(Token), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.OK, onResponse.StatusCode);
    }

    [Fact]
    public async Task Swagger_InDevelopment_OnByDefault()
    {
        await using var factory = new GatewayApiFactory { Pool = new FakeSessionPool() };
        await using var development = factory.WithWebHostBuilder(builder => builder.UseEnvironment("Development"));

        using var response = await development.CreateClient().GetAsync("/swagger/v1/swagger.json", Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Hsts_OutsideDevelopment_OnHttpsOnly()
    {
        await using var app = new GatewayApiFactory { Pool = new FakeSessionPool() };
        using var https = app.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://gateway.example/") });
        using var http = app.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("http://gateway.example/") });

        using var overHttps = await https.GetAsync("/health", Token);
        using var overHttp = await http.GetAsync("/health", Token);

        Assert.StartsWith("max-age=31536000", Header(overHttps, "Strict-Transport-Security"), StringComparison.Ordinal);
        Assert.False(overHttp.Headers.Contains("Strict-Transport-Security"));
    }

    [Fact]
    public async Task Hsts_InDevelopment_NotSent()
    {
        await using var factory = new GatewayApiFactory { Pool = new FakeSessionPool() };
        await using var development = factory.WithWebHostBuilder(builder => builder.UseEnvironment("Development"));
        using var https = development.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://gateway.example/") });

        using var response = await https.GetAsync("/health", Token);

        Assert.False(response.Headers.Contains("Strict-Transport-Security"));
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("127.0.0.1", true)]
    [InlineData("192.0.2.10", false)]
    public async Task ForwardedProto_HonouredOnlyFromAConfiguredProxy(string? knownProxy, bool honoured)
    {
        // Observed through HSTS, which is sent on HTTPS requests only: a plain-HTTP request from the loopback "proxy"
        // saying X-Forwarded-Proto: https. No connection goes anywhere but loopback; the other address is only listed.
        await using var app = new GatewayApiFactory { Pool = new FakeSessionPool() };
        if (knownProxy is not null)
        {
            app.Settings["Gateway:Http:KnownProxies:0"] = knownProxy;
        }

        app.UseRealSocket();
        using var client = new HttpClient { BaseAddress = app.ServerAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health");
        request.Headers.Host = "gateway.example";
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-For", "203.0.113.7");

        using var response = await client.SendAsync(request, Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(honoured, response.Headers.Contains("Strict-Transport-Security"));
    }

    [Fact]
    public async Task HttpsRedirection_WhenEnabled_RedirectsApiButNotHealthProbes()
    {
        await using var app = new GatewayApiFactory { Pool = new FakeSessionPool() };
        app.Settings["Gateway:Http:HttpsRedirection"] = "true";
        app.Settings["Gateway:Http:HttpsPort"] = "8443";
        using var client = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = new Uri("http://gateway.example/") });

        using var api = await client.GetAsync("/api/v1/sessions", Token);
        using var health = await client.GetAsync("/health", Token);

        Assert.Equal(HttpStatusCode.TemporaryRedirect, api.StatusCode);
        Assert.Equal(new Uri("https://gateway.example:8443/api/v1/sessions"), api.Headers.Location);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Theory]
    [InlineData("Gateway:Http:KnownProxies:0", "not-an-address", "Gateway:Http:KnownProxies:0")]
    [InlineData("Gateway:Http:KnownNetworks:0", "10.0.0.0/33", "Gateway:Http:KnownNetworks:0")]
    [InlineData("Gateway:Http:HttpsPort", "70000", "Gateway:Http:HttpsPort")]
    [InlineData("Gateway:Http:HstsMaxAge", "-00:00:01", "Gateway:Http:HstsMaxAge")]
    public async Task Start_InvalidSetting_FailsNamingIt(string key, string value, string expected)
    {
        await using var app = new GatewayApiFactory { Pool = new FakeSessionPool() };
        app.Settings[key] = value;

        var failure = Assert.ThrowsAny<Exception>(() => app.CreateClient(apiKey: null));

        Assert.Contains(expected, failure.ToString(), StringComparison.Ordinal);
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? string.Join(", ", values)
            : throw new Xunit.Sdk.XunitException($"{(int)response.StatusCode} {response.RequestMessage?.RequestUri}: no {name} header");

    [GeneratedRegex("<script[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex ScriptTag();

    [GeneratedRegex(@"\s(on[a-z]+|style)\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex InlineHandlerOrStyle();
}
