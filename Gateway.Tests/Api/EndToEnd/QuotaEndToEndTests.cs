using Gateway.Api.Contracts;
using Gateway.Tests.Integration.Prosody;

namespace Gateway.Tests.Api.EndToEnd;

/// <summary>Sends the gateway refuses before queueing them: over the tenant's byte budget, or larger than a server takes.</summary>
[Trait("Tier", "Integration")]
public sealed class QuotaEndToEndTests(ProsodyFixture prosody)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private ProsodyServer Server => prosody.Server;

    [Fact]
    public async Task SendMessage_OverTheTenantByteBudget_Returns429WithRetryAfterAndSmallerSendsStillGo()
    {
        var (alice, bob) = (await prosody.CreateAccountAsync("alice", Token), await prosody.CreateAccountAsync("bob", Token));
        await using var app = new GatewayApiFactory(Server);
        app.Settings["Gateway:Pool:MaxQueuedBytesPerTenant"] = "4096";
        using var client = app.CreateAlphaClient();
        await CreateSessionAsync(client, alice);

        // More than the whole budget: refused whatever else waits (how budgets add up over sends is unit-tested).
        var refused = await client.PostJsonAsync("/api/v1/sessions/a/messages", new PostMessageRequest { To = bob.Bare, Body = new string('x', 5_000) });
        var small = await client.PostJsonAsync("/api/v1/sessions/a/messages?wait=server", new PostMessageRequest { To = bob.Bare, Body = "small" });

        var problem = await refused.ProblemAsync(429, "outbound-queue-full");
        Assert.Contains("Gateway:Pool:MaxQueuedBytesPerTenant", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.NotNull(refused.Headers.RetryAfter?.Delta);
        Assert.True((await small.ReadAsync<StanzaAcceptedDto>(202)).AckedByServer);
        app.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task SendMessage_LargerThanAServerTakes_Returns413BeforeQueueing()
    {
        var (alice, bob) = (await prosody.CreateAccountAsync("alice", Token), await prosody.CreateAccountAsync("bob", Token));
        await using var app = new GatewayApiFactory(Server);
        using var client = app.CreateAlphaClient();
        await CreateSessionAsync(client, alice);

        // Under the 1 MiB request limit, over the 256 KiB stanza limit (Prosody's c2s_stanza_size_limit would end the stream).
        var payloads = Enumerable.Range(0, 10).Select(i => $"<p xmlns='urn:example:big' n='{i}'>{new string('x', 30_000)}</p>").ToArray();
        var response = await client.PostJsonAsync("/api/v1/sessions/a/messages", new PostMessageRequest { To = bob.Bare, Body = "large", Payloads = payloads });

        var problem = await response.ProblemAsync(413, "payload-too-large");
        Assert.Contains("Gateway:Pool:MaxStanzaBytes", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var session = await (await client.GetAsync("/api/v1/sessions/a", Token)).ReadAsync<SessionDto>(200);
        Assert.Equal(0, session.QueuedOutbound);
        await (await client.PostJsonAsync("/api/v1/sessions/a/messages?wait=server", new PostMessageRequest { To = bob.Bare, Body = "still online" })).ReadAsync<StanzaAcceptedDto>(202);
        app.Logs.AssertNoErrors();
    }

    private async Task CreateSessionAsync(HttpClient client, TestAccount account)
    {
        var response = await client.PostJsonAsync("/api/v1/sessions", new CreateSessionRequest
        {
            Id = "a", Jid = account.Bare, Password = account.Password, Resource = "gateway", Host = Server.Host, Port = Server.C2sPort,
        });
        await response.ReadAsync<SessionDto>(201);
    }
}
