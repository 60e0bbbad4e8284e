using Gateway.Tests.Api.Fakes;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;

namespace Gateway.Tests.Api.Limits;

/// <summary>
/// The failed-login budget: wrong passwords through POST /sessions are counted per tenant and per account; past the
/// budget, creates are refused with 429 before any connection is made.
/// </summary>
[Trait("Tier", "Api")]
public sealed class LoginBudgetTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static (GatewayApiFactory App, FakeSessionPool Pool) CreateApp()
    {
        var pool = new FakeSessionPool { OnCreate = (_, _, _) => throw new SaslFailedException(SaslConditions.NotAuthorized) };
        var app = new GatewayApiFactory { Pool = pool };
        app.Settings["Gateway:LoginBudget:FailuresPerAccount"] = "2";
        app.Settings["Gateway:LoginBudget:FailuresPerTenant"] = "3";
        app.Settings["Gateway:LoginBudget:Window"] = "00:10:00";
        return (app, pool);
    }

    private static StringContent Create(string jid) =>
        new($$"""{"jid":"{{jid}}","password":"guess"}""", System.Text.Encoding.UTF8, "application/json");

    [Fact]
    public async Task Create_AccountOverBudget_429WithRetryAfterAndNoLoginAttempt()
    {
        var (app, pool) = CreateApp();
        await using var _ = app;
        using var alpha = app.CreateAlphaClient();

        await (await alpha.PostAsync("/api/v1/sessions", Create("victim@example.com"), Token)).ProblemAsync(422, "xmpp-auth-failed");
        await (await alpha.PostAsync("/api/v1/sessions", Create("victim@example.com"), Token)).ProblemAsync(422, "xmpp-auth-failed");
        var refused = await alpha.PostAsync("/api/v1/sessions", Create("victim@example.com"), Token);

        var problem = await refused.ProblemAsync(429, "login-budget-exhausted");
        Assert.Contains("Gateway:LoginBudget:FailuresPerAccount", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.InRange(int.Parse(Assert.Single(refused.Headers.GetValues("Retry-After")), System.Globalization.CultureInfo.InvariantCulture), 1, 600);
        Assert.Equal(2, pool.Created.Count);
    }

    [Fact]
    public async Task Create_TenantOverBudget_RefusedForEveryAccount_OtherTenantNot()
    {
        var (app, pool) = CreateApp();
        await using var _ = app;
        using var alpha = app.CreateAlphaClient();
        using var beta = app.CreateBetaClient();
        foreach (var jid in new[] { "a@example.com", "b@example.com", "c@example.com" })
        {
            await (await alpha.PostAsync("/api/v1/sessions", Create(jid), Token)).ProblemAsync(422, "xmpp-auth-failed");
        }

        var problem = await (await alpha.PostAsync("/api/v1/sessions", Create("d@example.com"), Token)).ProblemAsync(429, "login-budget-exhausted");
        await (await beta.PostAsync("/api/v1/sessions", Create("e@example.com"), Token)).ProblemAsync(422, "xmpp-auth-failed");

        Assert.Contains("Gateway:LoginBudget:FailuresPerTenant", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(4, pool.Created.Count);
    }

    [Fact]
    public async Task Create_OtherFailures_DoNotCount()
    {
        var (app, pool) = CreateApp();
        await using var _ = app;
        pool.OnCreate = (_, _, _) => throw new XmppConnectionException("Could not connect to example.com:5222: Connection refused.");
        using var alpha = app.CreateAlphaClient();

        for (var i = 0; i < 4; i++)
        {
            await (await alpha.PostAsync("/api/v1/sessions", Create("victim@example.com"), Token)).ProblemAsync(502, "xmpp-connection-failed");
        }
    }
}
