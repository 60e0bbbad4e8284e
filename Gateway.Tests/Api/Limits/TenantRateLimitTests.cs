using Gateway.Tests.Api.Fakes;

namespace Gateway.Tests.Api.Limits;

/// <summary>Per-tenant request rate limits: a tenant over its budget gets 429 with Retry-After; others are not affected.</summary>
[Trait("Tier", "Api")]
public sealed class TenantRateLimitTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static GatewayApiFactory CreateApp(FakeSessionPool pool)
    {
        var app = new GatewayApiFactory { Pool = pool };
        app.Settings["Gateway:RateLimits:TokenLimit"] = "2";
        app.Settings["Gateway:RateLimits:TokensPerPeriod"] = "1";
        app.Settings["Gateway:RateLimits:ReplenishmentPeriod"] = "00:01:00";
        return app;
    }

    [Fact]
    public async Task Requests_OverTheTenantsBudget_Get429ProblemWithRetryAfter()
    {
        await using var app = CreateApp(new FakeSessionPool());
        using var alpha = app.CreateAlphaClient();

        await (await alpha.GetAsync("/api/v1/sessions", Token)).ReadAsync<object>(200);
        await (await alpha.GetAsync("/api/v1/sessions", Token)).ReadAsync<object>(200);
        var refused = await alpha.GetAsync("/api/v1/sessions", Token);

        var problem = await refused.ProblemAsync(429, "rate-limited");
        Assert.Contains("Gateway:RateLimits", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var retryAfter = Assert.Single(refused.Headers.GetValues("Retry-After"));
        Assert.InRange(int.Parse(retryAfter, System.Globalization.CultureInfo.InvariantCulture), 1, 60);
        Assert.Equal(int.Parse(retryAfter, System.Globalization.CultureInfo.InvariantCulture), problem.GetProperty("retryAfter").GetInt32());
    }

    [Fact]
    public async Task Requests_OneTenantOverBudget_OtherTenantStillServed()
    {
        await using var app = CreateApp(new FakeSessionPool());
        using var alpha = app.CreateAlphaClient();
        using var beta = app.CreateBetaClient();
        for (var i = 0; i < 2; i++)
        {
            await (await alpha.GetAsync("/api/v1/sessions", Token)).ReadAsync<object>(200);
        }

        await (await alpha.GetAsync("/api/v1/sessions", Token)).ProblemAsync(429, "rate-limited");
        await (await beta.GetAsync("/api/v1/sessions", Token)).ReadAsync<object>(200);
    }

    [Fact]
    public async Task Requests_WithoutValidKey_AreNotCountedAgainstTheTenant()
    {
        await using var app = CreateApp(new FakeSessionPool());
        using var alpha = app.CreateAlphaClient();
        using var anonymous = app.CreateClient("wrong-key");
        for (var i = 0; i < 5; i++)
        {
            await (await anonymous.GetAsync("/api/v1/sessions", Token)).ProblemAsync(401, "unauthorized");
        }

        await (await alpha.GetAsync("/api/v1/sessions", Token)).ReadAsync<object>(200);
    }

    [Theory]
    [InlineData("Gateway:RateLimits:TokenLimit", "0")]
    [InlineData("Gateway:RateLimits:ReplenishmentPeriod", "00:00:00")]
    public async Task Startup_BadRateLimit_FailsNamingTheSetting(string setting, string value)
    {
        await using var app = CreateApp(new FakeSessionPool());
        app.Settings[setting] = value;

        var failure = Assert.ThrowsAny<Exception>(() => app.Server);

        Assert.Contains(setting.Split(':')[^1], failure.ToString(), StringComparison.Ordinal);
    }
}
