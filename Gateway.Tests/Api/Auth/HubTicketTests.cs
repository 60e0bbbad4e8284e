using System.Net;
using Gateway.Api.Contracts;
using Gateway.Api.Hubs;
using Gateway.Tests.Api.Fakes;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Api.Auth;

/// <summary>Short-lived hub tickets: a browser connects with a ticket, never with the long-lived key in a URL.</summary>
[Trait("Tier", "Api")]
public sealed class HubTicketTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2030-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly GatewayApiFactory _app;

    public HubTicketTests()
    {
        var pool = new FakeSessionPool();
        pool.Add(GatewayApiFactory.AlphaTenant, "a1");
        pool.Add(GatewayApiFactory.BetaTenant, "b1");
        _app = new GatewayApiFactory { Pool = pool, ConfigureServices = services => services.AddSingleton<TimeProvider>(_time) }.UseRealSocket();
        ApiKeyScopeTests.AddScopedKeys(_app);
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task PostHubTicket_Returns201WithOpaqueShortLivedTicket()
    {
        using var client = _app.CreateAlphaClient();

        var response = await client.PostAsync("/api/v1/hub-tickets", content: null, Token);

        var body = await response.JsonAsync();
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var ticket = body.GetProperty("ticket").GetString()!;
        Assert.DoesNotContain(GatewayApiFactory.AlphaKey, ticket, StringComparison.Ordinal);
        Assert.True(ticket.Length >= 40, ticket);
        Assert.Equal(_time.GetUtcNow().AddSeconds(60), body.GetProperty("expiresAt").GetDateTimeOffset());
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task Ticket_ConnectsAsItsTenant_AndOnlyOnce()
    {
        var ticket = await IssueAsync(GatewayApiFactory.AlphaKey);
        await using var first = Connect(ticket);
        await first.StartAsync(Token);

        var subscription = await first.InvokeAsync<SubscriptionDto>("Subscribe", "a1", Token);
        var foreign = await Assert.ThrowsAsync<HubException>(() => first.InvokeAsync<SubscriptionDto>("Subscribe", "b1", Token));
        await using var second = Connect(ticket);
        var again = await Assert.ThrowsAsync<HttpRequestException>(() => second.StartAsync(Token));

        Assert.Equal("a1", subscription.SessionId);
        Assert.Contains("session-not-found", foreign.Message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
    }

    [Fact]
    public async Task Ticket_Expired_Refused401()
    {
        var ticket = await IssueAsync(GatewayApiFactory.AlphaKey);
        _time.Advance(TimeSpan.FromSeconds(61));
        await using var connection = Connect(ticket);

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => connection.StartAsync(Token));

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task Ticket_InheritsTheKeysScopes()
    {
        var ticket = await IssueAsync(ApiKeyScopeTests.ReadKey);
        await using var connection = Connect(ticket);
        await connection.StartAsync(Token);

        var refused = await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync<StanzaAcceptedDto>(
            "SendMessage", "a1", new SendMessageRequest { To = "bob@example.com", Body = "hi" }, Token));

        Assert.Contains("forbidden: this API key lacks the 'send' scope", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ticket_AsRestApiKey_Refused401()
    {
        var ticket = await IssueAsync(GatewayApiFactory.AlphaKey);
        using var client = _app.CreateClient(ticket);

        var response = await client.GetAsync("/api/v1/sessions", Token);

        await response.ProblemAsync(401, "unauthorized");
    }

    private async Task<string> IssueAsync(string key)
    {
        using var client = _app.CreateClient(key);
        var response = await client.PostAsync("/api/v1/hub-tickets", content: null, Token);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.JsonAsync()).GetProperty("ticket").GetString()!;
    }

    private HubConnection Connect(string ticket) =>
        new HubConnectionBuilder().WithUrl(new Uri(_app.ServerAddress, "hubs/xmpp"), o => o.AccessTokenProvider = () => Task.FromResult<string?>(ticket)).Build();
}
