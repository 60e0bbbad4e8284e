using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Gateway.Api.Contracts;
using Gateway.Api.Hubs;
using Gateway.Tests.Api.Fakes;
using Gateway.Tests.Support;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gateway.Tests.Api.Hubs;

/// <summary>
/// Fan-out through the whole SignalR stack (real Kestrel socket, WebSockets, SignalR's lifetime manager and protocol)
/// with a substitute pool whose events the test writes: many subscribers, and one that stops reading its socket.
/// </summary>
[Trait("Tier", "Api")]
public sealed class HubFanoutTests : IAsyncLifetime
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private readonly FakeEventPool _pool = new();
    private readonly CountingHubProtocol _protocol = new();
    private readonly List<HubConnection> _connections = [];
    private readonly GatewayApiFactory _app;

    public HubFanoutTests()
    {
        _pool.OnFind = (tenant, id) => tenant == GatewayApiFactory.AlphaTenant
            ? new FakeSession(new SessionInfo(id, tenant, Jid.Parse("bot@example.com"), SessionState.Online, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch))
            : null;
        _app = new GatewayApiFactory
        {
            Pool = _pool,
            ConfigureServices = services =>
            {
                // The JSON protocol, counting what it serialises.
                services.RemoveAll<IHubProtocol>();
                services.AddSingleton<IHubProtocol>(_protocol);
            },
        }.UseRealSocket();
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }

        await _app.DisposeAsync();
        _app.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task ManySubscribers_EachEventSerialisedOnceForAll()
    {
        var subscribers = new List<EventRecorder>();
        for (var i = 0; i < 10; i++)
        {
            subscribers.Add(await SubscribeAsync("s1"));
        }

        for (var id = 1; id <= 5; id++)
        {
            _pool.Publish(Events.Message(GatewayApiFactory.AlphaTenant, "s1", id));
        }

        foreach (var events in subscribers)
        {
            for (var id = 1; id <= 5; id++)
            {
                Assert.Equal(id, (await events.NextAsync<MessageDto>()).EventId);
            }
        }

        Assert.Equal(5, _protocol.InvocationsSerialised);
    }

    [Fact]
    public async Task ClientStopsReading_WriteOutlastsSendTimeout_GatewayClosesTheConnection()
    {
        // The hub runs without the transport's own send timeout: the dispatcher's bound on each write is what closes a
        // connection that stops reading. The queue is left large enough that it is the write, not the queue, that ends it.
        _app.Settings["Gateway:Hub:SendTimeout"] = "00:00:01";
        _app.Settings["Gateway:Hub:SubscriptionQueueEvents"] = "10000";
        _app.Settings["Gateway:Hub:SubscriptionQueueBytes"] = "67108864";
        await using var slow = await RawHubClient.ConnectAsync(_app.ServerAddress, GatewayApiFactory.AlphaKey);
        await slow.InvokeAsync("Subscribe", "s1");

        // 200 events of 64 KiB (13 MB) while the client reads nothing: more than the sockets and pipes in between hold.
        var body = new string('x', 64 * 1024);
        for (var id = 1; id <= 200; id++)
        {
            _pool.Publish(Events.Message(GatewayApiFactory.AlphaTenant, "s1", id, body));
        }

        // The write that outlasts the bound is logged as the connection is closed.
        await Eventually.WaitUntilAsync(() => _app.Logs.Entries.Any(e => e.EventId.Id == 5102 && e.Level == Microsoft.Extensions.Logging.LogLevel.Warning), HubTestKit.Patience);

        // It reads again: what was in flight, then the end of the connection, long before all 200 could come.
        var received = await slow.ReadUntilClosedAsync();

        Assert.InRange(received, 0, 199);
        Assert.DoesNotContain(_app.Logs.Entries, e => e.EventId.Id == 5114);
    }

    [Fact]
    public async Task ClientStopsReading_SubscriptionEndsWithSlowConsumer_SubscribeAfterResumesOnceInOrder()
    {
        // A write may wait as long as it likes here: it is the queue that must end the subscription.
        _app.Settings["Gateway:Hub:SubscriptionQueueEvents"] = "5";
        _app.Settings["Gateway:Hub:SendTimeout"] = "00:05:00";
        await using var slow = await RawHubClient.ConnectAsync(_app.ServerAddress, GatewayApiFactory.AlphaKey);
        await slow.InvokeAsync("Subscribe", "s1");
        var witness = await SubscribeAsync("witness");

        // 200 events of 64 KiB (13 MB) while the client reads nothing: more than the sockets and pipes in between hold.
        var body = new string('x', 64 * 1024);
        for (var id = 1; id <= 200; id++)
        {
            _pool.Publish(Events.Message(GatewayApiFactory.AlphaTenant, "s1", id, body));
        }

        // The dispatcher hands events out in order: once the witness has its sentinel, all 200 were offered.
        _pool.Publish(Events.Message(GatewayApiFactory.AlphaTenant, "witness", 1, "sentinel"));
        await witness.NextAsync<MessageDto>(m => m.Data.Body == "sentinel");

        // Now it reads: what was written before the end, then the end.
        var before = new List<long>();
        JsonElement ended;
        while (true)
        {
            var message = await slow.NextInvocationAsync();
            if (message.GetProperty("target").GetString() == "OnSubscriptionEnded")
            {
                ended = message.GetProperty("arguments")[0];
                break;
            }

            before.Add(message.GetProperty("arguments")[0].GetProperty("eventId").GetInt64());
        }

        Assert.Equal("s1", ended.GetProperty("sessionId").GetString());
        Assert.Equal("slow-consumer", ended.GetProperty("reason").GetString());
        var last = ended.GetProperty("lastEventId").GetInt64();
        Assert.Equal(before.Count, last);
        Assert.Equal(Enumerable.Range(1, before.Count).Select(i => (long)i), before);
        Assert.True(last < 200, "the subscription should have ended before its client read anything");
        Assert.Contains(_app.Logs.Entries, e => e.EventId.Id == 5114 && e.Level == Microsoft.Extensions.Logging.LogLevel.Warning);

        // Back with the last id it got: the rest from the log, then live, each once, in order.
        await slow.InvokeAsync("SubscribeAfter", "s1", last);
        _pool.Publish(Events.Message(GatewayApiFactory.AlphaTenant, "s1", 201));
        var after = new List<long>();
        while (after.Count == 0 || after[^1] < 201)
        {
            var message = await slow.NextInvocationAsync();
            Assert.Equal("OnMessage", message.GetProperty("target").GetString());
            after.Add(message.GetProperty("arguments")[0].GetProperty("eventId").GetInt64());
        }

        Assert.Equal(Enumerable.Range((int)last + 1, 201 - (int)last).Select(i => (long)i), after);
    }

    private async Task<EventRecorder> SubscribeAsync(string sessionId)
    {
        var (connection, events) = await HubTestKit.ConnectAsync(_app);
        _connections.Add(connection);
        await connection.InvokeAsync<SubscriptionDto>("Subscribe", sessionId, Token);
        return events;
    }

    /// <summary>
    /// A SignalR client written by hand on a WebSocket (JSON protocol, no stateful reconnect), so that the test decides
    /// when it reads: the official clients read their socket into an unbounded buffer whatever the application does.
    /// Its socket's receive buffer is small, so the server's writes back up soon after it stops reading.
    /// </summary>
    private sealed class RawHubClient : IAsyncDisposable
    {
        private const byte RecordSeparator = 0x1E;

        private readonly ClientWebSocket _socket = new();
        private readonly HttpMessageInvoker _invoker;
        private readonly MemoryStream _received = new();
        private readonly byte[] _chunk = new byte[64 * 1024];

        // Messages that arrived while InvokeAsync waited for its completion, in order.
        private readonly List<JsonElement> _early = [];
        private int _nextInvocationId;

        private RawHubClient(HttpMessageInvoker invoker) => _invoker = invoker;

        public static async Task<RawHubClient> ConnectAsync(Uri server, string apiKey)
        {
            var handler = new SocketsHttpHandler
            {
                ConnectCallback = async (context, cancellationToken) =>
                {
                    var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveBufferSize = 4096 };
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                },
            };
            var client = new RawHubClient(new HttpMessageInvoker(handler));
            var url = new Uri($"ws://{server.Authority}/hubs/xmpp?access_token={Uri.EscapeDataString(apiKey)}");
            await client._socket.ConnectAsync(url, client._invoker, Token);
            await client.SendAsync("""{"protocol":"json","version":1}""");
            var handshake = await client.NextRecordAsync();
            Assert.False(handshake.TryGetProperty("error", out var error), $"handshake refused: {error}");
            return client;
        }

        /// <summary>Calls a hub method and waits for its completion (events arriving meanwhile are kept for later).</summary>
        public async Task InvokeAsync(string method, params object[] arguments)
        {
            var id = (++_nextInvocationId).ToString(System.Globalization.CultureInfo.InvariantCulture);
            await SendAsync(JsonSerializer.Serialize(new { type = 1, invocationId = id, target = method, arguments }));
            var pending = new List<JsonElement>();
            while (true)
            {
                var message = await NextRecordAsync();
                if (message.GetProperty("type").GetInt32() == 3 && message.GetProperty("invocationId").GetString() == id)
                {
                    Assert.False(message.TryGetProperty("error", out var error), $"{method} failed: {error}");
                    _early.AddRange(pending);
                    return;
                }

                pending.Add(message);
            }
        }

        /// <summary>The next invocation the server sends (an event or the end of a subscription); pings are skipped.</summary>
        public async Task<JsonElement> NextInvocationAsync()
        {
            while (true)
            {
                JsonElement message;
                if (_early.Count > 0)
                {
                    message = _early[0];
                    _early.RemoveAt(0);
                }
                else
                {
                    message = await NextRecordAsync();
                }

                if (message.GetProperty("type").GetInt32() == 1)
                {
                    return message;
                }
            }
        }

        /// <summary>Reads until the server closes the connection (a close frame or a reset); returns how many events came first.</summary>
        public async Task<int> ReadUntilClosedAsync()
        {
            var events = _early.Count(m => m.GetProperty("type").GetInt32() == 1);
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(Token);
            cts.CancelAfter(HubTestKit.Patience);
            try
            {
                while (true)
                {
                    var result = await _socket.ReceiveAsync(_chunk, cts.Token);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return events;
                    }

                    events += _chunk.AsSpan(0, result.Count).Count("\"target\":\"OnMessage\""u8);
                }
            }
            catch (WebSocketException)
            {
                return events;
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_socket.State == WebSocketState.Open)
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
            }

            _socket.Dispose();
            _invoker.Dispose();
            await _received.DisposeAsync();
        }

        private Task SendAsync(string json) =>
            _socket.SendAsync(Encoding.UTF8.GetBytes(json + "\u001e"), WebSocketMessageType.Text, endOfMessage: true, Token);

        private async Task<JsonElement> NextRecordAsync()
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(Token);
            cts.CancelAfter(HubTestKit.Patience);
            while (true)
            {
                var buffered = _received.GetBuffer().AsMemory(0, (int)_received.Length);
                var end = buffered.Span.IndexOf(RecordSeparator);
                if (end >= 0)
                {
                    using var json = JsonDocument.Parse(buffered[..end]);
                    var record = json.RootElement.Clone();
                    var rest = buffered[(end + 1)..].ToArray();
                    _received.SetLength(0);
                    _received.Write(rest);
                    return record;
                }

                var result = await _socket.ReceiveAsync(_chunk, cts.Token);
                Assert.NotEqual(WebSocketMessageType.Close, result.MessageType);
                _received.Write(_chunk, 0, result.Count);
            }
        }
    }
}
