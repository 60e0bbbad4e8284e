using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Gateway.Api.Auth;
using Microsoft.AspNetCore.SignalR;

namespace Gateway.Api.Hubs;

/// <summary>
/// The hub's open connections by id, so the <see cref="SessionEventDispatcher"/> can write to a connection directly:
/// <see cref="HubConnectionContext.WriteAsync(SerializedHubMessage, CancellationToken)"/> with one serialised message
/// shared by every subscriber, where <c>IHubContext.Clients.Client(id)</c> would serialise it again per connection.
/// Filled by <see cref="GatewayHubLifetimeManager"/>, the one place SignalR hands out a connection's context.
/// </summary>
/// <remarks>
/// Also closes the connections of API keys that a configuration reload removed or changed
/// (<see cref="IApiKeyRevocationListener"/>): SignalR authenticates a connection once, when it opens, so without this a
/// revoked key would keep receiving events for as long as its connection lives.
/// </remarks>
public sealed class HubConnectionRegistry(ILogger<HubConnectionRegistry> logger) : IApiKeyRevocationListener
{
    private readonly ConcurrentDictionary<string, HubConnectionContext> _connections = new(StringComparer.Ordinal);

    /// <summary>Connections open now (read when metrics are collected).</summary>
    internal int Count => _connections.Count;

    /// <inheritdoc/>
    public void OnKeysRevoked(IReadOnlySet<string> keyIds)
    {
        ArgumentNullException.ThrowIfNull(keyIds);
        foreach (var connection in _connections.Values)
        {
            if (connection.User.FindFirst(ApiKeyDefaults.KeyIdClaim)?.Value is { } keyId && keyIds.Contains(keyId))
            {
                AuthLog.HubConnectionRevoked(logger, connection.ConnectionId, connection.User.TryGetTenant(out var tenant) ? tenant : "?");
                connection.Abort();
            }
        }
    }

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
internal sealed class GatewayHubLifetimeManager(
    HubConnectionRegistry registry, HubTicketStore tickets, ApiKeyStore keys, ILogger<DefaultHubLifetimeManager<GatewayHub>> logger)
    : DefaultHubLifetimeManager<GatewayHub>(logger)
{
    public override async Task OnConnectedAsync(HubConnectionContext connection)
    {
        await base.OnConnectedAsync(connection);
        registry.Add(connection);

        // A reload between authentication and here would have missed this connection: check the key once more.
        if (connection.User.GetKeyIdentity() is { } identity && !keys.IsCurrent(identity))
        {
            connection.Abort();
        }
    }

    public override async Task OnDisconnectedAsync(HubConnectionContext connection)
    {
        registry.Remove(connection);
        if (connection.User.FindFirst(ApiKeyDefaults.TicketClaim)?.Value is { } ticketId)
        {
            tickets.Forget(ticketId);
        }

        await base.OnDisconnectedAsync(connection);
    }
}
