using Gateway.Api.Contracts;
using Gateway.Tests.Integration.Prosody;
using Microsoft.AspNetCore.SignalR.Client;

namespace Gateway.Tests.Api.Hubs;

/// <summary>
/// Base of the tests that drive the gateway end to end: a real Kestrel socket, .NET SignalR clients, the real pool
/// and the shared Prosody. Disposes every hub connection it opened, then the gateway, and fails the test when the
/// gateway logged an error.
/// </summary>
public abstract class HubEndToEndTest(ProsodyFixture prosody) : IAsyncLifetime
{
    private readonly List<HubConnection> _connections = [];

    protected static CancellationToken Token => TestContext.Current.CancellationToken;

    protected ProsodyFixture Prosody { get; } = prosody;

    protected GatewayApiFactory App { get; } = new GatewayApiFactory(prosody.Server).UseRealSocket();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }

        await App.DisposeAsync();
        App.Logs.AssertNoErrors();
        GC.SuppressFinalize(this);
    }

    /// <summary>A started hub connection (alpha tenant unless <paramref name="apiKey"/>), recording its events; disposed with the test.</summary>
    protected async Task<(HubConnection Connection, EventRecorder Events)> ConnectAsync(string apiKey = GatewayApiFactory.AlphaKey)
    {
        var (connection, events) = await HubTestKit.ConnectAsync(App, apiKey);
        _connections.Add(connection);
        return (connection, events);
    }

    /// <summary>A new Prosody account (<paramref name="accountPrefix"/> + a number) with an online session "s-{user}" created through REST.</summary>
    protected async Task<(SessionDto Session, TestAccount Account)> CreateSessionWithAccountAsync(string accountPrefix, string apiKey = GatewayApiFactory.AlphaKey)
    {
        var account = await Prosody.CreateAccountAsync(accountPrefix, Token);
        return (await HubTestKit.CreateSessionAsync(App, Prosody.Server, account, "s-" + account.User, apiKey), account);
    }
}
