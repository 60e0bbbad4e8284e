using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.SignalR;

namespace Gateway.Api.Hubs;

/// <summary>
/// The hub's open connections by id, so the <see cref="SessionEventDispatcher"/> can write to a connection directly:
/// <see cref="HubConnectionContext.WriteAsync(SerializedHubMessage, CancellationToken)"/> with one serialised message
/// shared by every subscriber, where <c>IHubContext.Clients.Client(id)</c> would serialise it again per connection.
/// Filled by <see cref="GatewayHubLifetimeManager"/>, the one place SignalR hands out a connection's context.
/// </summary>
public sealed class HubConnectionRegistry
{
    private readonly ConcurrentDictionary<string, HubConnectionContext> _connections = new(StringComparer.Ordinal);

    /// <summary>The open connection with this id.</summary>
    public bool TryGet(string connectionId, [NotNullWhen(true)] out HubConnectionContext? connection) =>
        _connections.TryGetValue(connectionId, out connection);

    internal void Add(HubConnectionContext connection) => _connections[connection.ConnectionId] = connection;

    internal void Remove(HubConnectionContext connection) =>
        _connections.TryRemove(KeyValuePair.Create(connection.ConnectionId, connection));
}

/// <summary>
/// SignalR's own in-memory lifetime manager for <see cref="GatewayHub"/>, which also tells the
/// <see cref="HubConnectionRegistry"/> about connections. A lifetime manager is SignalR's public extension point that sees
/// every <see cref="HubConnectionContext"/> (hubs and hub filters only get a <see cref="HubCallerContext"/>, which cannot
/// write pre-serialised messages); deriving from <see cref="DefaultHubLifetimeManager{THub}"/> keeps everything else
/// (groups, users, client results) exactly as SignalR does it.
/// </summary>
internal sealed class GatewayHubLifetimeManager(HubConnectionRegistry registry, ILogger<DefaultHubLifetimeManager<GatewayHub>> logger)
    : DefaultHubLifetimeManager<GatewayHub>(logger)
{
    public override async Task OnConnectedAsync(HubConnectionContext connection)
    {
        await base.OnConnectedAsync(connection);
        registry.Add(connection);
    }

    public override async Task OnDisconnectedAsync(HubConnectionContext connection)
    {
        registry.Remove(connection);
        await base.OnDisconnectedAsync(connection);
    }
}
