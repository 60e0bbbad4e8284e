using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace Gateway.Bench.Load;

/// <summary>
/// One SignalR connection to the gateway's hub (<c>/hubs/xmpp?access_token=…</c>, WebSockets without negotiation,
/// JSON protocol, no stateful reconnect) with the official .NET client, subscribed to one session; hands each
/// <c>OnMessage</c>'s load body and arrival time to a callback, on the connection's own receive loop.
/// </summary>
internal sealed class HubSubscriber : IHubSubscriber
{
    private readonly HubConnection _connection;
    private int _disposing;
    private int _closed;

    private HubSubscriber(HubConnection connection) => _connection = connection;

    /// <summary>Whether the connection closed by itself (not through <see cref="DisposeAsync"/>).</summary>
    public bool Closed => Volatile.Read(ref _closed) != 0;

    public static async Task<HubSubscriber> ConnectAsync(
        Uri gateway, string apiKey, string sessionId, LoadMessageHandler onMessage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        ArgumentNullException.ThrowIfNull(onMessage);
        var url = new Uri(gateway, $"/hubs/xmpp?access_token={Uri.EscapeDataString(apiKey)}");
        var connection = new HubConnectionBuilder()
            .WithUrl(url, options =>
            {
                options.SkipNegotiation = true;
                options.Transports = HttpTransportType.WebSockets;
            })
            .Build();
        // The hub's sends are bounded server-side; a slow subscriber must show up as latency, not as a client timeout.
        connection.ServerTimeout = TimeSpan.FromMinutes(2);
        var subscriber = new HubSubscriber(connection);
        connection.On<HubMessageEnvelope>("OnMessage", envelope =>
        {
            var received = Stopwatch.GetTimestamp();
            if (MessageBody.TryParse(envelope.Data?.Body, out var phase, out var seq, out var sent))
            {
                onMessage(phase, seq, sent, received);
            }
        });
        connection.Closed += _ =>
        {
            if (Volatile.Read(ref subscriber._disposing) == 0)
            {
                Volatile.Write(ref subscriber._closed, 1);
            }

            return Task.CompletedTask;
        };
        try
        {
            await connection.StartAsync(cancellationToken);
            await connection.InvokeAsync<JsonElement>("Subscribe", sessionId, cancellationToken);
            return subscriber;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Volatile.Write(ref _disposing, 1);
        await _connection.DisposeAsync();
    }
}
