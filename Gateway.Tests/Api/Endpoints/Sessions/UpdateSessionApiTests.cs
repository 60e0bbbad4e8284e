using Gateway.Api.Contracts;
using Gateway.Tests.Api.Fakes;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;

namespace Gateway.Tests.Api.Endpoints.Sessions;

/// <summary><c>PATCH /api/v1/sessions/{id}</c> at the HTTP edge, with a substitute pool (the move itself: SessionUpdateTests).</summary>
[Trait("Tier", "Api")]
public sealed class UpdateSessionApiTests
{
    private const string Path = "/api/v1/sessions/s1";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static (GatewayApiFactory App, FakeSessionPool Pool) Start(params (string Key, string Value)[] settings)
    {
        var pool = new FakeSessionPool();
        pool.Add(GatewayApiFactory.AlphaTenant, "s1");
        var app = new GatewayApiFactory { Pool = pool };
        foreach (var (key, value) in settings)
        {
            app.Settings[key] = value;
        }

        return (app, pool);
    }

    private static Task<HttpResponseMessage> PatchAsync(HttpClient client, string path, string json) =>
        client.PatchAsync(path, new StringContent(json, System.Text.Encoding.UTF8, "application/json"), Token);

    [Fact]
    public async Task Patch_EachSettingGiven_ReachesThePoolParsedAndAnswersTheSession()
    {
        var (app, pool) = Start();
        await using var _ = app;
        using var client = app.CreateAlphaClient();

        var response = await PatchAsync(client, Path,
            """{"password":"new secret","resource":"r2","host":"xmpp.example.com","port":5223,"tlsMode":"direct-tls","pinnedCertificateSha256":[],"sendInitialPresence":false,"carbons":false,"requestReceipts":false}""");

        var session = await response.ReadAsync<SessionDto>(200);
        Assert.Equal("s1", session.Id);
        var (tenant, id, change) = Assert.Single(pool.Updated);
        Assert.Equal((GatewayApiFactory.AlphaTenant, "s1"), (tenant, id));
        Assert.Equal("new secret", change.Password);
        Assert.Equal("r2", change.Resource);
        Assert.Equal("xmpp.example.com", change.Host);
        Assert.Equal(5223, change.Port);
        Assert.Equal(TlsMode.DirectTls, change.TlsMode);
        Assert.True(change.PinnedCertificateSha256 is { IsEmpty: true });
        Assert.Equal((false, false, false), (change.SendInitialPresence, change.Carbons, change.RequestReceipts));
        Assert.DoesNotContain(app.Logs.Entries, e => e.AllText.Contains("new secret", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Patch_OnlyRequestReceipts_EverythingElseLeftOut()
    {
        var (app, pool) = Start();
        await using var _ = app;
        using var client = app.CreateAlphaClient();

        var response = await PatchAsync(client, Path, """{"requestReceipts":false}""");

        await response.ReadAsync<SessionDto>(200);
        var change = Assert.Single(pool.Updated).Change;
        Assert.Equal(new SessionSpecChange { RequestReceipts = false }, change with { PinnedCertificateSha256 = null });
        Assert.Null(change.PinnedCertificateSha256);
    }

    [Theory]
    [InlineData("""{"port":0}""", "port")]
    [InlineData("""{"password":""}""", "password")]
    [InlineData("""{"tlsMode":"sometimes"}""", "tlsMode")]
    [InlineData("""{"resource":"a\u0000b"}""", "resource")]
    [InlineData("""{"pinnedCertificateSha256":["abc"]}""", "pinnedCertificateSha256[0]")]
    public async Task Patch_InvalidSetting_400NamingItAndNothingChanged(string json, string field)
    {
        var (app, pool) = Start();
        await using var _ = app;
        using var client = app.CreateAlphaClient();

        var response = await PatchAsync(client, Path, json);

        var problem = await response.ProblemAsync(400, "validation-failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out var _), $"errors name {field}: {problem}");
        Assert.Empty(pool.Updated);
    }

    [Fact]
    public async Task Patch_HostWhereTheGatewayAllowsNoOverride_400AndNothingChanged()
    {
        var (app, pool) = Start(("Gateway:Pool:AllowHostOverride", "false"));
        await using var _ = app;
        using var client = app.CreateAlphaClient();

        var response = await PatchAsync(client, Path, """{"host":"evil.example.net"}""");

        await response.ProblemAsync(400, "host-override-not-allowed");
        Assert.Empty(pool.Updated);
    }

    [Fact]
    public async Task Patch_AnotherTenantsOrAnUnknownSession_404LikeEachOther()
    {
        var (app, pool) = Start();
        await using var _ = app;
        using var beta = app.CreateBetaClient();
        using var alpha = app.CreateAlphaClient();

        var foreign = await PatchAsync(beta, Path, """{"requestReceipts":false}""");
        var unknown = await PatchAsync(alpha, "/api/v1/sessions/nope", """{"requestReceipts":false}""");

        await foreign.ProblemAsync(404, "session-not-found");
        await unknown.ProblemAsync(404, "session-not-found");
        Assert.Empty(pool.Updated);
    }

    [Fact]
    public async Task Patch_WhileAnotherChangeRuns_409SessionBusy()
    {
        var (app, pool) = Start();
        await using var _ = app;
        pool.OnUpdate = (_, _) => throw new SessionBusyException("s1");
        using var client = app.CreateAlphaClient();

        var response = await PatchAsync(client, Path, """{"carbons":true}""");

        await response.ProblemAsync(409, "session-busy");
        app.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task Patch_NewPasswordRefused_422AndCountedAgainstTheLoginBudget()
    {
        var (app, pool) = Start(("Gateway:LoginBudget:FailuresPerAccount", "1"));
        await using var _ = app;
        pool.OnUpdate = (_, _) => throw new SaslFailedException("not-authorized");
        using var client = app.CreateAlphaClient();

        var refused = await PatchAsync(client, Path, """{"password":"wrong"}""");
        var spent = await PatchAsync(client, Path, """{"password":"wrong again"}""");

        await refused.ProblemAsync(422);
        await spent.ProblemAsync(429, "login-budget-exhausted");
        Assert.Single(pool.Updated);
    }
}
