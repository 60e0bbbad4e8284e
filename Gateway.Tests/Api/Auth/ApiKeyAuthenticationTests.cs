using System.Net;
using Gateway.Api.Auth;
using Gateway.Api.Contracts;
using Gateway.Tests.Api.Fakes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Api.Auth;

[Trait("Tier", "Api")]
public sealed class ApiKeyAuthenticationTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Request_WithoutApiKey_Returns401Problem()
    {
        await using var app = new GatewayApiFactory { Pool = new FakeSessionPool() };
        using var client = app.CreateClient(apiKey: null);

        var response = await client.GetAsync("/api/v1/sessions", Token);

        var problem = await response.ProblemAsync(401, "unauthorized");
        Assert.Contains("X-Api-Key", problem.GetProperty("detail").GetString());
        Assert.Equal("ApiKey header=\"X-Api-Key\"", response.Headers.WwwAuthenticate.ToString());
    }

    [Theory]
    [InlineData("wrong-key")]
    [InlineData("alpha-key-3f1b0c8e9")]
    [InlineData("ALPHA-KEY-3F1B0C8E9A")]
    public async Task Request_WithWrongApiKey_Returns401Problem(string key)
    {
        await using var app = new GatewayApiFactory { Pool = new FakeSessionPool() };
        using var client = app.CreateClient(key);

        var response = await client.GetAsync("/api/v1/sessions", Token);

        var problem = await response.ProblemAsync(401, "unauthorized");
        Assert.Equal("The API key is not valid.", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Request_WithTwoApiKeyHeaders_Returns401()
    {
        await using var app = new GatewayApiFactory { Pool = new FakeSessionPool() };
        using var client = app.CreateClient(apiKey: null);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/sessions");
        request.Headers.TryAddWithoutValidation("X-Api-Key", [GatewayApiFactory.AlphaKey, GatewayApiFactory.BetaKey]);

        var response = await client.SendAsync(request, Token);

        await response.ProblemAsync(401, "unauthorized");
    }

    [Fact]
    public async Task Request_WithAccessTokenQueryOutsideHub_IsNotAuthenticated()
    {
        await using var app = new GatewayApiFactory { Pool = new FakeSessionPool() };
        using var client = app.CreateClient(apiKey: null);

        var response = await client.GetAsync($"/api/v1/sessions?access_token={GatewayApiFactory.AlphaKey}", Token);

        await response.ProblemAsync(401, "unauthorized");
    }

    [Fact]
    public async Task Request_WithValidKey_SeesOnlyItsTenantsSessions()
    {
        var pool = new FakeSessionPool();
        pool.Add(GatewayApiFactory.AlphaTenant, "a1");
        pool.Add(GatewayApiFactory.BetaTenant, "b1");
        await using var app = new GatewayApiFactory { Pool = pool };
        using var alpha = app.CreateAlphaClient();
        using var beta = app.CreateBetaClient();

        var alphaSessions = await (await alpha.GetAsync("/api/v1/sessions", Token)).ReadAsync<SessionDto[]>(200);
        var betaSessions = await (await beta.GetAsync("/api/v1/sessions", Token)).ReadAsync<SessionDto[]>(200);

        Assert.Equal(["a1"], alphaSessions.Select(s => s.Id));
        Assert.Equal(["b1"], betaSessions.Select(s => s.Id));
    }

    [Theory]
    [InlineData("GET", "/api/v1/sessions/b1")]
    [InlineData("DELETE", "/api/v1/sessions/b1")]
    [InlineData("GET", "/api/v1/sessions/b1/roster")]
    [InlineData("DELETE", "/api/v1/sessions/b1/roster/carol@example.com")]
    public async Task Request_ForOtherTenantsSession_Returns404LikeUnknown(string method, string url)
    {
        var pool = new FakeSessionPool();
        pool.Add(GatewayApiFactory.BetaTenant, "b1");
        await using var app = new GatewayApiFactory { Pool = pool };
        using var alpha = app.CreateAlphaClient();

        var foreign = await alpha.SendAsync(new HttpRequestMessage(new HttpMethod(method), url), Token);
        var unknown = await alpha.SendAsync(new HttpRequestMessage(new HttpMethod(method), url.Replace("b1", "zz", StringComparison.Ordinal)), Token);

        var foreignProblem = await foreign.ProblemAsync(404, "session-not-found");
        var unknownProblem = await unknown.ProblemAsync(404, "session-not-found");
        Assert.Equal(unknownProblem.GetProperty("detail").GetString()!.Replace("zz", "b1", StringComparison.Ordinal), foreignProblem.GetProperty("detail").GetString());
        Assert.NotNull(pool.Find(GatewayApiFactory.BetaTenant, "b1"));
    }

    [Theory]
    [InlineData("/health")]
    [InlineData("/health/ready")]
    [InlineData("/swagger/v1/swagger.json")]
    [InlineData("/swagger/index.html")]
    [InlineData("/swagger")]
    public async Task AnonymousEndpoints_WithoutApiKey_Answer200(string url)
    {
        await using var app = new GatewayApiFactory { Pool = new FakeSessionPool() };
        app.Settings["Gateway:Http:EnableSwagger"] = "true";
        using var client = app.CreateClient(apiKey: null);

        var response = await client.GetAsync(url, Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task UnknownPath_WithoutApiKey_Returns401NotAMap()
    {
        await using var app = new GatewayApiFactory { Pool = new FakeSessionPool() };
        using var client = app.CreateClient(apiKey: null);

        var response = await client.GetAsync("/api/v1/secret-admin", Token);

        await response.ProblemAsync(401, "unauthorized");
    }

    [Fact]
    public async Task HubPath_AccessTokenQuery_Authenticates()
    {
        await using var app = new GatewayApiFactory { Pool = new FakeSessionPool() };
        using var client = app.CreateClient(apiKey: null);

        var withToken = await client.PostAsync($"/hubs/xmpp/negotiate?negotiateVersion=1&access_token={GatewayApiFactory.AlphaKey}", null, Token);
        var withWrongToken = await client.PostAsync("/hubs/xmpp/negotiate?negotiateVersion=1&access_token=nope", null, Token);
        var without = await client.PostAsync("/hubs/xmpp/negotiate?negotiateVersion=1", null, Token);

        Assert.Equal(HttpStatusCode.OK, withToken.StatusCode);
        await withWrongToken.ProblemAsync(401, "unauthorized");
        await without.ProblemAsync(401, "unauthorized");
    }

    [Fact]
    public void GetTenant_ReadsTheTenantClaim()
    {
        var user = new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity([new System.Security.Claims.Claim(ApiKeyDefaults.TenantClaim, "acme")], ApiKeyDefaults.Scheme));

        Assert.Equal("acme", user.GetTenant());
        Assert.False(new System.Security.Claims.ClaimsPrincipal().TryGetTenant(out _));
        Assert.Throws<InvalidOperationException>(() => new System.Security.Claims.ClaimsPrincipal().GetTenant());
    }

    [Theory]
    [InlineData("/test/forbid", 403, "forbidden")]
    [InlineData("/test/status/403", 403, "forbidden")]
    [InlineData("/test/status/404", 404, "not-found")]
    [InlineData("/test/status/415", 415, "unsupported-media-type")]
    public async Task StatusOnlyResults_OfAnyEndpoint_HaveProblemBodies(string url, int status, string code)
    {
        await using var app = new GatewayApiFactory
        {
            Pool = new FakeSessionPool(),
            ConfigureServices = services => services.AddTransient<IStartupFilter, TestEndpoints>(),
        };
        using var client = app.CreateAlphaClient();

        var response = await client.GetAsync(url, Token);

        await response.ProblemAsync(status, code);
    }

    /// <summary>Endpoints that answer with a bare status or a forbid challenge, as framework code might.</summary>
    private sealed class TestEndpoints : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            next(app);
            app.UseEndpoints(endpoints =>
            {
                endpoints.MapGet("/test/forbid", () => Results.Forbid());
                endpoints.MapGet("/test/status/{status:int}", (int status) => Results.StatusCode(status));
            });
        };
    }
}
