using Gateway.Api.Contracts;
using Gateway.Api.Hubs;
using Gateway.Tests.Api.Fakes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Api.Auth;

/// <summary>Per-key scopes (read, send, admin): a key may only do what its scopes allow, over REST and on the hub.</summary>
[Trait("Tier", "Api")]
public sealed class ApiKeyScopeTests
{
    public const string ReadKey = "alpha-read-key-51c0a9";
    public const string SendKey = "alpha-send-key-0b77e2";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>A factory whose alpha tenant has, besides its full key, a read-only key and a read+send key (<see cref="AddScopedKeys"/>).</summary>
    internal static GatewayApiFactory CreateApp(FakeSessionPool pool, bool realSocket = false)
    {
        var app = new GatewayApiFactory { Pool = pool };
        AddScopedKeys(app);
        return realSocket ? app.UseRealSocket() : app;
    }

    /// <summary>Gives the alpha tenant a read-only key (<see cref="ReadKey"/>) and a read+send key (<see cref="SendKey"/>).</summary>
    internal static void AddScopedKeys(GatewayApiFactory app)
    {
        app.Settings["Gateway:Tenants:0:ApiKeys:0:Sha256"] = GatewayApiFactory.Sha256Hex(ReadKey);
        app.Settings["Gateway:Tenants:0:ApiKeys:0:Scopes:0"] = "read";
        app.Settings["Gateway:Tenants:0:ApiKeys:1:Sha256"] = GatewayApiFactory.Sha256Hex(SendKey);
        app.Settings["Gateway:Tenants:0:ApiKeys:1:Scopes:0"] = "read";
        app.Settings["Gateway:Tenants:0:ApiKeys:1:Scopes:1"] = "send";
    }

    [Theory]
    [InlineData(ReadKey, "GET", "/api/v1/sessions", 200)]
    [InlineData(ReadKey, "GET", "/api/v1/sessions/a1", 200)]
    [InlineData(ReadKey, "POST", "/api/v1/sessions/a1/messages", 403)]
    [InlineData(ReadKey, "POST", "/api/v1/sessions/a1/presence", 403)]
    [InlineData(ReadKey, "DELETE", "/api/v1/sessions/a1/roster/carol@example.com", 403)]
    [InlineData(ReadKey, "GET", "/api/v1/sessions/a1/rooms", 200)]
    [InlineData(ReadKey, "PUT", "/api/v1/sessions/a1/rooms/dev@conference.example.com", 403)]
    [InlineData(ReadKey, "DELETE", "/api/v1/sessions/a1/rooms/dev@conference.example.com", 403)]
    [InlineData(ReadKey, "POST", "/api/v1/sessions/a1/rooms/dev@conference.example.com/messages", 403)]
    [InlineData(ReadKey, "PUT", "/api/v1/sessions/a1/rooms/dev@conference.example.com/occupants/bob/role", 403)]
    [InlineData(ReadKey, "PUT", "/api/v1/sessions/a1/rooms/dev@conference.example.com/affiliations/bob@example.com", 403)]
    [InlineData(ReadKey, "POST", "/api/v1/sessions", 403)]
    [InlineData(ReadKey, "DELETE", "/api/v1/sessions/a1", 403)]
    [InlineData(SendKey, "POST", "/api/v1/sessions/a1/messages", 202)]
    [InlineData(SendKey, "POST", "/api/v1/sessions", 403)]
    [InlineData(SendKey, "DELETE", "/api/v1/sessions/a1", 403)]
    [InlineData(GatewayApiFactory.AlphaKey, "DELETE", "/api/v1/sessions/a1", 204)]
    public async Task Request_KeyScopes_AllowOrForbid(string key, string method, string url, int status)
    {
        var pool = new FakeSessionPool();
        pool.Add(GatewayApiFactory.AlphaTenant, "a1");
        await using var app = CreateApp(pool);
        using var client = app.CreateClient(key);
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (method == "POST")
        {
            request.Content = JsonBody(url.EndsWith("/sessions", StringComparison.Ordinal)
                ? """{"id":"a2","jid":"bot@example.com","password":"secret"}"""
                : url.EndsWith("/presence", StringComparison.Ordinal) ? """{"show":"away"}""" : """{"to":"bob@example.com","body":"hi"}""");
        }

        var response = await client.SendAsync(request, Token);

        if (status == 403)
        {
            var problem = await response.ProblemAsync(403, "forbidden");
            Assert.Contains("scope", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        else
        {
            Assert.True((int)response.StatusCode == status, $"Expected {status}, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(Token)}");
        }
    }

    [Fact]
    public async Task EveryApiEndpoint_RequiresAScope()
    {
        await using var app = CreateApp(new FakeSessionPool());
        _ = app.Server;
        var endpoints = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/", StringComparison.Ordinal) == true)
            .ToList();

        Assert.NotEmpty(endpoints);
        Assert.All(endpoints, e => Assert.Contains(
            e.Metadata.GetOrderedMetadata<IAuthorizeData>(),
            a => a.Policy?.StartsWith("scope:", StringComparison.Ordinal) == true));
    }

    [Fact]
    public async Task HubSendMessage_ReadOnlyKey_ForbiddenButSubscribeWorks()
    {
        var pool = new FakeSessionPool();
        pool.Add(GatewayApiFactory.AlphaTenant, "a1");
        await using var app = CreateApp(pool, realSocket: true);
        await using var connection = Gateway.Tests.Api.Hubs.HubTestKit.Build(app, ReadKey);
        await connection.StartAsync(Token);

        var subscription = await Microsoft.AspNetCore.SignalR.Client.HubConnectionExtensions.InvokeAsync<SubscriptionDto>(connection, "Subscribe", "a1", Token);
        var refused = await Assert.ThrowsAsync<HubException>(() => Microsoft.AspNetCore.SignalR.Client.HubConnectionExtensions.InvokeAsync<StanzaAcceptedDto>(
            connection, "SendMessage", "a1", new SendMessageRequest { To = "bob@example.com", Body = "hi" }, Token));

        Assert.Equal("a1", subscription.SessionId);
        Assert.Contains("forbidden: this API key lacks the 'send' scope", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Gateway:Tenants:0:ApiKeys:0:Scopes:0", "write")]
    [InlineData("Gateway:Tenants:0:ApiKeys:0:Sha256", "not-a-hash")]
    public async Task Startup_BadScopedKey_FailsNamingTheSetting(string setting, string value)
    {
        await using var app = CreateApp(new FakeSessionPool());
        app.Settings[setting] = value;

        var failure = Assert.ThrowsAny<Exception>(() => app.Server);

        Assert.Contains("Gateway:Tenants:0:ApiKeys:0", failure.ToString(), StringComparison.Ordinal);
    }

    private static StringContent JsonBody(string json) => new(json, System.Text.Encoding.UTF8, "application/json");
}
