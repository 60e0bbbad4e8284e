using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;

namespace Gateway.Bench.Load;

/// <summary>
/// A SignalR hub connection that speaks the JSON hub protocol over a plain <see cref="ClientWebSocket"/> and reads
/// only what the load tool needs: it finds the load body in each <c>OnMessage</c> invocation without deserialising
/// the envelope. A thousand of these cost this tool a fraction of what a thousand full SignalR clients would, so the
/// fan-out measures the gateway rather than the clients. Protocol: the handshake, <c>Subscribe</c> as invocation 0,
/// a ping every 10 s (the server drops clients silent for 30 s).
/// </summary>
internal sealed class RawHubSubscriber : IHubSubscriber
{
    private const byte RecordSeparator = 0x1e;
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(10);
    private static readonly byte[] Ping = "{\"type\":6}\u001e"u8.ToArray();
    private static readonly byte[] BodyProperty = "\"body\":\""u8.ToArray();
    private static readonly byte[] OnMessageTarget = "\"target\":\"OnMessage\""u8.ToArray();
    private readonly ClientWebSocket _socket;
    private readonly LoadMessageHandler _onMessage;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<string?> _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _send = new(1, 1);
    private Task _receiving = Task.CompletedTask;
    private Task _pinging = Task.CompletedTask;
    private int _disposing;
    private int _closed;

    private RawHubSubscriber(ClientWebSocket socket, LoadMessageHandler onMessage)
    {
        _socket = socket;
        _onMessage = onMessage;
    }

    /// <summary>Whether the connection closed by itself (not through <see cref="DisposeAsync"/>).</summary>
    public bool Closed => Volatile.Read(ref _closed) != 0;

    public static async Task<RawHubSubscriber> ConnectAsync(
        Uri gateway, string apiKey, string sessionId, LoadMessageHandler onMessage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        var url = new UriBuilder(new Uri(gateway, $"/hubs/xmpp?access_token={Uri.EscapeDataString(apiKey)}")) { Scheme = "ws" }.Uri;
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero; // SignalR pings at its own level
        var subscriber = new RawHubSubscriber(socket, onMessage);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            await socket.ConnectAsync(url, timeout.Token);
            await subscriber.SendAsync("{\"protocol\":\"json\",\"version\":1}\u001e"u8.ToArray(), timeout.Token);
            subscriber._receiving = Task.Run(() => subscriber.ReceiveLoopAsync(subscriber._stop.Token), CancellationToken.None);
            var sessionJson = System.Text.Json.JsonSerializer.Serialize(sessionId);
            await subscriber.SendAsync(
                Encoding.UTF8.GetBytes($"{{\"type\":1,\"invocationId\":\"0\",\"target\":\"Subscribe\",\"arguments\":[{sessionJson}]}}\u001e"),
                timeout.Token);
            if (await subscriber._subscribed.Task.WaitAsync(timeout.Token) is { } error)
            {
                throw new InvalidOperationException($"Subscribe({sessionId}) failed: {error}");
            }

            subscriber._pinging = Task.Run(() => subscriber.PingLoopAsync(subscriber._stop.Token), CancellationToken.None);
            return subscriber;
        }
        catch
        {
            await subscriber.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Volatile.Write(ref _disposing, 1);
        await _stop.CancelAsync();
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }

        _socket.Abort();
        await Task.WhenAll(_receiving, _pinging).ContinueWith(_ => { }, TaskScheduler.Default);
        _socket.Dispose();
        _stop.Dispose();
        _send.Dispose();
    }

    private async Task SendAsync(byte[] record, CancellationToken cancellationToken)
    {
        await _send.WaitAsync(cancellationToken);
        try
        {
            await _socket.SendAsync(record, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
        }
        finally
        {
            _send.Release();
        }
    }

    private async Task PingLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(KeepAlive);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await SendAsync(Ping, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
        }
    }

    private async Task ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        var count = 0;
        var handshakeDone = false;
        try
        {
            while (true)
            {
                if (count == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }

                var result = await _socket.ReceiveAsync(buffer.AsMemory(count), cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                count += result.Count;
                var received = Stopwatch.GetTimestamp();
                var consumed = 0;
                while (buffer.AsSpan(consumed, count - consumed).IndexOf(RecordSeparator) is var end and >= 0)
                {
                    var record = buffer.AsSpan(consumed, end);
                    consumed += end + 1;
                    if (!handshakeDone)
                    {
                        handshakeDone = true;
                        if (record.IndexOf("\"error\""u8) >= 0)
                        {
                            _subscribed.TrySetResult("handshake refused: " + Encoding.UTF8.GetString(record));
                        }

                        continue;
                    }

                    Handle(record, received);
                }

                buffer.AsSpan(consumed, count - consumed).CopyTo(buffer);
                count -= consumed;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
        }
        finally
        {
            if (Volatile.Read(ref _disposing) == 0)
            {
                Volatile.Write(ref _closed, 1);
            }

            _subscribed.TrySetResult("the connection closed");
        }
    }

    private void Handle(ReadOnlySpan<byte> record, long received)
    {
        // {"type":1,"target":"OnMessage","arguments":[{…"data":{…"body":"lt1 p=…"…}}]}
        if (record.IndexOf(OnMessageTarget) >= 0)
        {
            var body = record.IndexOf(BodyProperty);
            if (body >= 0 && MessageBody.TryParse(record[(body + BodyProperty.Length)..], out var phase, out var seq, out var sent))
            {
                _onMessage(phase, seq, sent, received);
            }

            return;
        }

        // {"type":3,"invocationId":"0",…}: Subscribe completed, with "error" when refused.
        if (record.IndexOf("\"type\":3"u8) >= 0 && record.IndexOf("\"invocationId\":\"0\""u8) >= 0)
        {
            _subscribed.TrySetResult(record.IndexOf("\"error\""u8) >= 0 ? Encoding.UTF8.GetString(record) : null);
        }
        else if (record.IndexOf("\"type\":7"u8) >= 0)
        {
            // Close from the server.
            _subscribed.TrySetResult("closed by the server: " + Encoding.UTF8.GetString(record));
        }
    }
}
