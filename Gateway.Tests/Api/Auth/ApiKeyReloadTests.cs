using Gateway.Tests.Api.Fakes;
using Gateway.Tests.Api.Hubs;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Api.Auth;

/// <summary>Tenants and keys reload with the configuration: a removed key is refused at once and its hub connections close.</summary>
[Trait("Tier", "Api")]
public sealed class ApiKeyReloadTests : IAsyncLifetime
{
    private const string RotatedKey = "alpha-rotated-key-9d41aa";

    private readonly GatewayApiFactory _app;

    public ApiKeyReloadTests()
    {
        var pool = new FakeSessionPool();
        pool.Add(GatewayApiFactory.AlphaTenant, "a1");
        _app = new GatewayApiFactory { Pool = pool }.UseRealSocket();
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task Reload_KeyReplaced_OldKeyRefusedAndNewKeyAccepted()
    {
        using var old = _app.CreateAlphaClient();
        using var rotated = _app.CreateClient(RotatedKey);
        await (await old.GetAsync("/api/v1/sessions", Token)).ReadAsync<object>(200);

        Reload(("Gateway:Tenants:0:ApiKeySha256:0", GatewayApiFactory.Sha256Hex(RotatedKey)));

        await (await old.GetAsync("/api/v1/sessions", Token)).ProblemAsync(401, "unauthorized");
        await (await rotated.GetAsync("/api/v1/sessions", Token)).ReadAsync<object>(200);
    }

    [Fact]
    public async Task Reload_KeyRemoved_ClosesItsHubConnectionsOnly()
    {
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var alpha = new HubConnectionBuilder().WithUrl(new Uri(_app.ServerAddress, $"hubs/xmpp?access_token={GatewayApiFactory.AlphaKey}")).Build();
        alpha.Closed += e =>
        {
            closed.TrySetResult(e);
            return Task.CompletedTask;
        };
        await using var beta = new HubConnectionBuilder().WithUrl(new Uri(_app.ServerAddress, $"hubs/xmpp?access_token={GatewayApiFactory.BetaKey}")).Build();
        await alpha.StartAsync(Token);
        await beta.StartAsync(Token);

        Reload(("Gateway:Tenants:0:ApiKeySha256:0", GatewayApiFactory.Sha256Hex(RotatedKey)));

        await closed.Task.WaitAsync(HubTestKit.Patience, Token);
        Assert.Equal(HubConnectionState.Disconnected, alpha.State);
        // The beta connection still answers (a round trip, not a wait): its key was not touched.
        var refused = await Assert.ThrowsAsync<Microsoft.AspNetCore.SignalR.HubException>(() => beta.InvokeAsync("Unsubscribe", "no-such-session", Token));
        Assert.Contains("session-not-found", refused.Message, StringComparison.Ordinal);
        Assert.Equal(HubConnectionState.Connected, beta.State);
    }

    [Fact]
    public async Task Reload_InvalidConfiguration_KeepsTheLastValidKeys()
    {
        using var client = _app.CreateAlphaClient();
        await (await client.GetAsync("/api/v1/sessions", Token)).ReadAsync<object>(200);

        // ValidateOnStart's IOptionsMonitor validates in its own change callback and throws; on a file reload that
        // happens on the watcher's thread. What matters is that the keys in force stay.
        _ = Record.Exception(() => Reload(("Gateway:Tenants:0:ApiKeySha256:0", "not-a-hash")));

        await (await client.GetAsync("/api/v1/sessions", Token)).ReadAsync<object>(200);
        Assert.Contains(_app.Logs.Entries, e => e.EventId.Id == 5201);
    }

    [Fact]
    public async Task Reload_KeyRemoved_ItsHubTicketIsRefused()
    {
        using var client = _app.CreateAlphaClient();
        var ticket = (await (await client.PostAsync("/api/v1/hub-tickets", content: null, Token)).JsonAsync()).GetProperty("ticket").GetString()!;

        Reload(("Gateway:Tenants:0:ApiKeySha256:0", GatewayApiFactory.Sha256Hex(RotatedKey)));

        await using var connection = new HubConnectionBuilder().WithUrl(new Uri(_app.ServerAddress, $"hubs/xmpp?access_token={ticket}")).Build();
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => connection.StartAsync(Token));
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    private void Reload(params (string Key, string Value)[] settings)
    {
        var root = (IConfigurationRoot)_app.Services.GetRequiredService<IConfiguration>();
        foreach (var (key, value) in settings)
        {
            root[key] = value;
        }

        root.Reload();
    }
}
