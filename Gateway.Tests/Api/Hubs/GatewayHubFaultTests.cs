using Gateway.Api.Hubs;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Api.Hubs;

/// <summary>Hub failures that a real pool does not produce on demand: a substitute pool throws.</summary>
[Trait("Tier", "Api")]
public sealed class GatewayHubFaultTests : IAsyncLifetime
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private readonly FakeEventPool _pool = new();
    private readonly GatewayApiFactory _app;

    public GatewayHubFaultTests() => _app = new GatewayApiFactory { Pool = _pool }.UseRealSocket();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task Subscribe_PoolThrowsUnexpectedly_GenericErrorToClientAndErrorLogWithException()
    {
        _pool.OnFind = (_, _) => throw new InvalidOperationException("internal detail: connection string Password=hunter2");
        await using var connection = HubTestKit.Build(_app, GatewayApiFactory.AlphaKey);
        await connection.StartAsync(Token);

        var failed = await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync<SubscriptionDto>("Subscribe", "s1", Token));

        Assert.Equal("An unexpected error occurred invoking 'Subscribe' on the server.", failed.Message);
        var logged = Assert.Single(_app.Logs.Entries, e => e.EventId.Id == 5109);
        Assert.Equal(LogLevel.Error, logged.Level);
        Assert.Contains("InvalidOperationException", logged.Exception, StringComparison.Ordinal);
        _app.Logs.AssertNoErrors(e => e.EventId.Id == 5109);
    }

    [Fact]
    public async Task Subscribe_UnknownSession_RefusalLoggedAtDebugOnly()
    {
        await using var connection = HubTestKit.Build(_app, GatewayApiFactory.AlphaKey);
        await connection.StartAsync(Token);

        await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync<SubscriptionDto>("Subscribe", "s1", Token));

        var refused = Assert.Single(_app.Logs.Entries, e => e.EventId.Id == 5108);
        Assert.Equal(LogLevel.Debug, refused.Level);
        _app.Logs.AssertNoErrors();
    }
}
