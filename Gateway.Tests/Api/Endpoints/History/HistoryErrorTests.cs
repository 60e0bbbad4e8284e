using Gateway.Api.Contracts;
using Gateway.Tests.Api.Fakes;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;

namespace Gateway.Tests.Api.Endpoints.History;

/// <summary>History refusals that a real server does not produce on demand (a timeout, an offline session, no MAM).</summary>
[Trait("Tier", "Api")]
public sealed class HistoryErrorTests
{
    private const string Url = "/api/v1/sessions/s1/history";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>An archive that fails every read with what the test says.</summary>
    private sealed class FailingHistory(Exception failure) : IArchiveHistory
    {
        public int MaxPageSize => 100;

        public List<ArchiveQuery> Asked { get; } = [];

        public Task<ArchiveResults> QueryAsync(ArchiveQuery query, CancellationToken cancellationToken = default)
        {
            Asked.Add(query);
            return Task.FromException<ArchiveResults>(failure);
        }
    }

    private static (GatewayApiFactory App, FailingHistory History) Start(Exception failure)
    {
        var pool = new FakeSessionPool();
        var history = new FailingHistory(failure);
        pool.Add(GatewayApiFactory.AlphaTenant, "s1").History = history;
        return (new GatewayApiFactory { Pool = pool }, history);
    }

    [Fact]
    public async Task History_ServerDoesNotAnswer_Returns504()
    {
        var (app, _) = Start(new XmppTimeoutException("MAM query", TimeSpan.FromSeconds(30)));
        await using var _ = app;
        using var client = app.CreateAlphaClient();

        await (await client.GetAsync(Url, Token)).ProblemAsync(504, "xmpp-timeout");
    }

    [Fact]
    public async Task History_SessionReconnecting_Returns503()
    {
        var (app, _) = Start(new SessionUnavailableException("s1", SessionState.Reconnecting, "Session 's1' is Reconnecting."));
        await using var _ = app;
        using var client = app.CreateAlphaClient();

        await (await client.GetAsync(Url, Token)).ProblemAsync(503, "session-unavailable");
    }

    [Theory]
    [InlineData(StanzaErrorCondition.FeatureNotImplemented, 409, "history-unavailable")]
    [InlineData(StanzaErrorCondition.ServiceUnavailable, 409, "history-unavailable")]
    [InlineData(StanzaErrorCondition.RegistrationRequired, 403, "xmpp-stanza-error")]
    [InlineData(StanzaErrorCondition.NotAuthorized, 403, "xmpp-stanza-error")]
    [InlineData(StanzaErrorCondition.BadRequest, 400, "xmpp-stanza-error")]
    [InlineData(StanzaErrorCondition.InternalServerError, 502, "xmpp-stanza-error")]
    public async Task History_ArchiveRefuses_MapsTheCondition(StanzaErrorCondition condition, int status, string code)
    {
        var (app, _) = Start(new StanzaErrorException(StanzaError.Of(condition)));
        await using var _ = app;
        using var client = app.CreateAlphaClient();

        var problem = await (await client.GetAsync(Url, Token)).ProblemAsync(status, code);

        Assert.Equal(condition.ToWire(), problem.GetProperty("xmppCondition").GetString());
    }

    [Theory]
    [InlineData("?limit=0", "limit")]
    [InlineData("?limit=500", "limit")]
    [InlineData("?order=up", "order")]
    [InlineData("?start=2025-02-01T00:00:00Z&end=2025-01-01T00:00:00Z", "start")]
    [InlineData("?start=last%20week", "start")]
    [InlineData("?with=%40", "with")]
    [InlineData("?cursor=Zm9yZ2Vk", "cursor")]
    public async Task History_BadParameters_Returns400NamingItWithoutAsking(string query, string field)
    {
        var (app, history) = Start(new InvalidOperationException("must not be asked"));
        await using var _ = app;
        using var client = app.CreateAlphaClient();

        var problem = await (await client.GetAsync(Url + query, Token)).ProblemAsync(400, "validation-failed");

        Assert.Equal(System.Text.Json.JsonValueKind.Array, problem.GetProperty("errors").GetProperty(field).ValueKind);
        Assert.Empty(history.Asked);
    }

    [Theory]
    [InlineData("bob@example.com%2Fphone")]
    [InlineData("conference.example.com")]
    [InlineData("%40%40")]
    public async Task RoomHistory_NotARoomJid_Returns400(string room)
    {
        var (app, history) = Start(new InvalidOperationException("must not be asked"));
        await using var _ = app;
        using var client = app.CreateAlphaClient();

        var problem = await (await client.GetAsync($"/api/v1/sessions/s1/rooms/{room}/history", Token)).ProblemAsync(400, "validation-failed");

        Assert.Equal(System.Text.Json.JsonValueKind.Array, problem.GetProperty("errors").GetProperty("roomJid").ValueKind);
        Assert.Empty(history.Asked);
    }

    [Fact]
    public async Task RoomHistory_With_Returns400()
    {
        var (app, history) = Start(new InvalidOperationException("must not be asked"));
        await using var _ = app;
        using var client = app.CreateAlphaClient();

        var problem = await (await client.GetAsync("/api/v1/sessions/s1/rooms/lobby@conference.example.com/history?with=bob@example.com", Token)).ProblemAsync(400, "validation-failed");

        Assert.Equal(System.Text.Json.JsonValueKind.Array, problem.GetProperty("errors").GetProperty("with").ValueKind);
        Assert.Empty(history.Asked);
    }

    [Fact]
    public async Task History_OtherTenantOrNoKey_IsRefusedLikeUnknown()
    {
        var (app, history) = Start(new InvalidOperationException("must not be asked"));
        await using var _ = app;
        using var beta = app.CreateBetaClient();
        using var anonymous = app.CreateClient(null);

        await (await beta.GetAsync(Url, Token)).ProblemAsync(404, "session-not-found");
        await (await beta.GetAsync("/api/v1/sessions/s1/rooms/lobby@conference.example.com/history", Token)).ProblemAsync(404, "session-not-found");
        await (await anonymous.GetAsync(Url, Token)).ProblemAsync(401);
        Assert.Empty(history.Asked);
    }

    [Fact]
    public async Task History_SessionWithoutArchiveReads_Returns409()
    {
        var pool = new FakeSessionPool();
        pool.Add(GatewayApiFactory.AlphaTenant, "s1");
        await using var app = new GatewayApiFactory { Pool = pool };
        using var client = app.CreateAlphaClient();

        await (await client.GetAsync(Url, Token)).ProblemAsync(409, "history-unavailable");
    }
}
