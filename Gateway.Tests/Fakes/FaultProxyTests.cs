using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using Gateway.Tests.Integration.Client;
using Gateway.Tests.Integration.Prosody;
using Gateway.Xmpp;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Fakes;

public sealed class FaultProxyTests(ProsodyFixture prosody)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    [Trait("Tier", "Unit")]
    public void Start_UpstreamNotLoopback_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => FaultProxy.Start(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 5222)));

        Assert.Equal("upstream", ex.ParamName);
    }

    [Fact]
    [Trait("Tier", "Unit")]
    public async Task Forward_RandomMebibyteBothWays_RoundTripsExactly()
    {
        await using var server = TestServer.StartEcho();
        await using var proxy = FaultProxy.Start(server.EndPoint);
        using var client = await ConnectAsync(proxy);
        var payload = RandomBytes(1 << 20, seed: 1);

        var sending = SendInRandomChunksAsync(client, payload, seed: 2);
        var echoed = await ReceiveExactlyAsync(client, payload.Length);
        await sending;

        Assert.Equal(payload, echoed);
        Assert.True(await proxy.WaitUntilAsync(
            p => p.BytesUpstream == payload.Length && p.BytesDownstream == payload.Length && p.BytesHeld == 0, Patience, Token));
        Assert.Equal(1, proxy.ConnectionsAccepted);
    }

    [Fact]
    [Trait("Tier", "Unit")]
    public async Task Forward_ManyConcurrentConnections_EachGetsItsOwnBytesBack()
    {
        const int count = 50;
        const int size = 64 * 1024;
        await using var server = TestServer.StartEcho();
        await using var proxy = FaultProxy.Start(server.EndPoint);
        var clients = new List<Socket>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                clients.Add(await ConnectAsync(proxy));
            }

            Assert.True(await proxy.WaitForConnectionsAsync(count, Patience, Token));

            await Task.WhenAll(clients.Select(async (client, i) =>
            {
                var payload = RandomBytes(size, seed: 100 + i);
                var sending = SendInRandomChunksAsync(client, payload, seed: i);
                var echoed = await ReceiveExactlyAsync(client, size);
                await sending;
                Assert.Equal(payload, echoed);
            }));
        }
        finally
        {
            clients.ForEach(client => client.Dispose());
        }

        // Each client's FIN went through, the echo server answered with its own, and the proxy let go.
        Assert.True(await proxy.WaitUntilAsync(p => p.ActiveConnections == 0, Patience, Token));
        Assert.Equal(count, proxy.ConnectionsAccepted);
        Assert.Equal(count * size, proxy.BytesUpstream);
        Assert.Equal(count * size, proxy.BytesDownstream);
    }

    [Fact]
    [Trait("Tier", "Unit")]
    public async Task Forward_TlsInside_HandshakeAndDataPassThroughUnchanged()
    {
        using var certificate = CreateSelfSignedCertificate("localhost");
        await using var server = TestServer.StartManual();
        await using var proxy = FaultProxy.Start(server.EndPoint);
        using var client = await ConnectAsync(proxy);
        using var serverSocket = await server.AcceptAsync();
        await using var serverTls = new SslStream(new NetworkStream(serverSocket, ownsSocket: false));
        await using var clientTls = new SslStream(new NetworkStream(client, ownsSocket: false));

        await Task.WhenAll(
            serverTls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, Token),
            clientTls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                // The proxy must hand over the very certificate the server sent.
                RemoteCertificateValidationCallback = (_, presented, _, _) => presented?.GetRawCertData().AsSpan().SequenceEqual(certificate.RawData) == true,
            }, Token));

        var up = RandomBytes(256 * 1024, seed: 3);
        var down = RandomBytes(256 * 1024, seed: 4);
        var receivedUp = new byte[up.Length];
        var receivedDown = new byte[down.Length];
        await Task.WhenAll(
            clientTls.WriteAsync(up, Token).AsTask(),
            serverTls.WriteAsync(down, Token).AsTask(),
            serverTls.ReadExactlyAsync(receivedUp, Token).AsTask(),
            clientTls.ReadExactlyAsync(receivedDown, Token).AsTask()).WaitAsync(Patience, Token);

        Assert.Equal(up, receivedUp);
        Assert.Equal(down, receivedDown);
    }

    [Fact]
    [Trait("Tier", "Unit")]
    public async Task Forward_HalfClose_FinPassesThroughAfterTheData()
    {
        await using var server = TestServer.StartManual();
        await using var proxy = FaultProxy.Start(server.EndPoint);
        using var client = await ConnectAsync(proxy);
        using var serverSide = await server.AcceptAsync();

        await SendAllAsync(client, "last words"u8.ToArray());
        client.Shutdown(SocketShutdown.Send);
        var (upBytes, upError) = await DrainAsync(serverSide);

        await SendAllAsync(serverSide, "reply after your FIN"u8.ToArray());
        serverSide.Shutdown(SocketShutdown.Send);
        var reply = await ReceiveExactlyAsync(client, "reply after your FIN".Length);
        var (moreBytes, downError) = await DrainAsync(client);

        Assert.Equal(("last words".Length, (SocketError?)null), (upBytes, upError));
        Assert.Equal("reply after your FIN"u8.ToArray(), reply);
        Assert.Equal((0, (SocketError?)null), (moreBytes, downError));
        Assert.True(await proxy.WaitUntilAsync(p => p.ActiveConnections == 0, Patience, Token));
    }

    [Fact]
    [Trait("Tier", "Unit")]
    public async Task CutAll_ActiveConnection_BothEndsSeeResetAndNewConnectionsStillWork()
    {
        await using var server = TestServer.StartManual();
        await using var proxy = FaultProxy.Start(server.EndPoint);
        using var client = await ConnectAsync(proxy);
        using var serverSide = await server.AcceptAsync();
        await SendAllAsync(client, "ping"u8.ToArray());
        Assert.Equal("ping"u8.ToArray(), await ReceiveExactlyAsync(serverSide, 4));

        var cut = proxy.CutAll();

        Assert.Equal(1, cut);
        Assert.Equal((0, SocketError.ConnectionReset), await DrainAsync(client));
        Assert.Equal((0, SocketError.ConnectionReset), await DrainAsync(serverSide));
        Assert.True(await proxy.WaitUntilAsync(p => p.ActiveConnections == 0, Patience, Token));

        using var again = await ConnectAsync(proxy);
        using var serverSideAgain = await server.AcceptAsync();
        await SendAllAsync(serverSideAgain, "pong"u8.ToArray());
        Assert.Equal("pong"u8.ToArray(), await ReceiveExactlyAsync(again, 4));
    }

    [Fact]
    [Trait("Tier", "Unit")]
    public async Task CutAllAsync_ManyConnections_ReturnsWhenAllAreGone()
    {
        const int count = 20;
        await using var server = TestServer.StartEcho();
        await using var proxy = FaultProxy.Start(server.EndPoint);
        var clients = new List<Socket>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                clients.Add(await ConnectAsync(proxy));
            }

            Assert.True(await proxy.WaitForConnectionsAsync(count, Patience, Token));

            var cut = await proxy.CutAllAsync(Token);

            Assert.Equal(count, cut);
            Assert.Equal(0, proxy.ActiveConnections);
            foreach (var client in clients)
            {
                Assert.Equal((0, SocketError.ConnectionReset), await DrainAsync(client));
            }
        }
        finally
        {
            clients.ForEach(client => client.Dispose());
        }
    }

    [Theory]
    [Trait("Tier", "Unit")]
    [InlineData("stall")]
    [InlineData("latency")]
    public async Task CutAll_WhileBytesAreHeld_TheyNeverArrive(string hold)
    {
        var time = new FakeTimeProvider();
        await using var server = TestServer.StartManual();
        await using var proxy = FaultProxy.Start(server.EndPoint, time);
        using var client = await ConnectAsync(proxy);
        using var serverSide = await server.AcceptAsync();
        if (hold == "stall")
        {
            proxy.Stall(true);
        }
        else
        {
            proxy.SetLatency(TimeSpan.FromSeconds(10));
        }

        await SendAllAsync(client, "too late"u8.ToArray());
        Assert.True(await proxy.WaitUntilAsync(p => p.BytesHeld == "too late".Length, Patience, Token));

        Assert.Equal(1, proxy.CutAll());
        proxy.Stall(false);
        time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal((0, SocketError.ConnectionReset), await DrainAsync(serverSide));
        Assert.Equal(0, proxy.BytesUpstream);
        Assert.True(await proxy.WaitUntilAsync(p => p.BytesHeld == 0 && p.ActiveConnections == 0, Patience, Token));
    }

    [Fact]
    [Trait("Tier", "Unit")]
    public async Task Stall_BothDirections_HoldsDataThenReleasesItInOrder()
    {
        await using var server = TestServer.StartManual();
        await using var proxy = FaultProxy.Start(server.EndPoint);
        using var client = await ConnectAsync(proxy);
        using var serverSide = await server.AcceptAsync();
        var up = RandomBytes(256 * 1024, seed: 5);
        var down = RandomBytes(256 * 1024, seed: 6);

        proxy.Stall(true);
        // More than the proxy and the kernel buffers hold, so the senders block until the stall ends.
        var sendingUp = SendInRandomChunksAsync(client, up, seed: 7);
        Assert.True(await proxy.WaitUntilAsync(p => p.BytesHeld > 0, Patience, Token));
        // The upstream pump now waits with its one chunk and reads no further, so only downstream can add to this.
        var heldUpstream = proxy.BytesHeld;
        var sendingDown = SendInRandomChunksAsync(serverSide, down, seed: 8);
        Assert.True(await proxy.WaitUntilAsync(p => p.BytesHeld > heldUpstream, Patience, Token));

        Assert.True(proxy.IsStalled);
        Assert.Equal(0, proxy.BytesUpstream);
        Assert.Equal(0, proxy.BytesDownstream);
        Assert.Equal(0, serverSide.Available);
        Assert.Equal(0, client.Available);
        Assert.Equal(1, proxy.ActiveConnections);

        proxy.Stall(false);
        var receivingUp = ReceiveExactlyAsync(serverSide, up.Length);
        var receivingDown = ReceiveExactlyAsync(client, down.Length);

        Assert.Equal(up, await receivingUp);
        Assert.Equal(down, await receivingDown);
        await Task.WhenAll(sendingUp, sendingDown);
    }

    [Fact]
    [Trait("Tier", "Unit")]
    public async Task SetLatency_EachChunk_HeldUntilTheLatencyPassesBothWaysThenForwardedInOrder()
    {
        var time = new FakeTimeProvider();
        var latency = TimeSpan.FromSeconds(10);
        var almost = latency - TimeSpan.FromTicks(1);
        await using var server = TestServer.StartEcho();
        await using var proxy = FaultProxy.Start(server.EndPoint, time);
        proxy.SetLatency(latency);
        using var client = await ConnectAsync(proxy);

        // Up: held until the clock has moved by the whole latency.
        await SendAllAsync(client, "first"u8.ToArray());
        Assert.True(await proxy.WaitUntilAsync(p => p.BytesHeld == 5, Patience, Token));
        time.Advance(almost);
        Assert.Equal(0, proxy.BytesUpstream);
        time.Advance(TimeSpan.FromTicks(1));

        // Down: the echo is held the same way.
        Assert.True(await proxy.WaitUntilAsync(p => p.BytesUpstream == 5 && p.BytesHeld == 5, Patience, Token));
        time.Advance(almost);
        Assert.Equal(0, proxy.BytesDownstream);
        time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal("first"u8.ToArray(), await ReceiveExactlyAsync(client, 5));

        // Chunks sent back to back each wait their turn and keep their order.
        await SendAllAsync(client, "second"u8.ToArray());
        await SendAllAsync(client, "third"u8.ToArray());
        var echoed = ReceiveExactlyAsync(client, "secondthird".Length);
        const long total = 5 + 11;
        while (proxy.BytesDownstream < total)
        {
            Assert.True(await proxy.WaitUntilAsync(p => p.BytesHeld > 0 || p.BytesDownstream == total, Patience, Token));
            time.Advance(latency);
        }

        Assert.Equal("secondthird"u8.ToArray(), await echoed);
    }

    [Fact]
    [Trait("Tier", "Unit")]
    public async Task RefuseNew_NewConnectionResetOpenOnesUntouched()
    {
        await using var server = TestServer.StartManual();
        await using var proxy = FaultProxy.Start(server.EndPoint);
        using var open = await ConnectAsync(proxy);
        using var openServerSide = await server.AcceptAsync();

        proxy.RefuseNew = true;

        Assert.Equal(SocketError.ConnectionReset, await ConnectAndDrainAsync(proxy));
        Assert.Equal(1, proxy.ConnectionsRefused);
        Assert.Equal(2, proxy.ConnectionsAccepted);
        Assert.Equal(1, server.Accepted);
        await SendAllAsync(open, "still here"u8.ToArray());
        Assert.Equal("still here"u8.ToArray(), await ReceiveExactlyAsync(openServerSide, "still here".Length));

        proxy.RefuseNew = false;
        using var later = await ConnectAsync(proxy);
        using var laterServerSide = await server.AcceptAsync();
        await SendAllAsync(laterServerSide, "back"u8.ToArray());
        Assert.Equal("back"u8.ToArray(), await ReceiveExactlyAsync(later, 4));
    }

    [Fact]
    [Trait("Tier", "Unit")]
    public async Task Connect_NothingListeningUpstream_ClientConnectionReset()
    {
        await using var proxy = FaultProxy.Start(new IPEndPoint(IPAddress.Loopback, LocalProcesses.FreeLoopbackPort()));

        Assert.Equal(SocketError.ConnectionReset, await ConnectAndDrainAsync(proxy));
        Assert.True(await proxy.WaitUntilAsync(p => p.ActiveConnections == 0, Patience, Token));
    }

    [Fact]
    [Trait("Tier", "Unit")]
    public async Task DisposeAsync_WhileTransferring_CompletesAndEndsEveryConnection()
    {
        const int count = 8;
        await using var server = TestServer.StartEcho();
        var proxy = FaultProxy.Start(server.EndPoint);
        var clients = new List<Socket>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                clients.Add(await ConnectAsync(proxy));
            }

            var traffic = clients.Select((client, i) => TrafficUntilBrokenAsync(client, seed: i)).ToArray();
            Assert.True(await proxy.WaitUntilAsync(p => p.BytesDownstream > 4 << 20, Patience, Token));

            await proxy.DisposeAsync();

            Assert.Equal(0, proxy.ActiveConnections);
            await Task.WhenAll(traffic).WaitAsync(Patience, Token);
        }
        finally
        {
            clients.ForEach(client => client.Dispose());
            await proxy.DisposeAsync();
        }
    }

    [Fact]
    [Trait("Tier", "Integration")]
    [Trait("Spec", "RFC 6120 §5")]
    public async Task CutAll_XmppClientThroughProxy_TerminatesWithConnectionException()
    {
        var account = await prosody.CreateAccountAsync(cancellationToken: Token);
        await using var proxy = FaultProxy.Start(new IPEndPoint(IPAddress.Loopback, prosody.Server.C2sPort));
        var options = TestClients.Options(prosody.Server, account) with { Host = "127.0.0.1", Port = proxy.Port };
        await using var client = await XmppClient.ConnectAsync(options, cancellationToken: Token);
        await client.PingAsync(cancellationToken: Token);
        Assert.True(client.IsEncrypted);
        Assert.Equal(1, proxy.ActiveConnections);

        Assert.Equal(1, proxy.CutAll());

        var reason = await client.Terminated.WaitAsync(TestClients.Patience, Token);
        var lost = Assert.IsType<XmppConnectionException>(reason);
        Assert.True(lost.IsTransient);
        Assert.False(client.IsConnected);
        // The proxy resets (the raw-socket tests above prove it). The client reads with zero-byte reads (an idle
        // connection holds no buffer), and a zero-byte receive can take the reset, leaving the next read the end of
        // the stream: either way the client must see the connection as lost, never as a clean close.
        if (lost.InnerException is not null)
        {
            var reset = Assert.IsType<SocketException>(Assert.IsType<IOException>(lost.InnerException).InnerException);
            Assert.Equal(SocketError.ConnectionReset, reset.SocketErrorCode);
        }
        else
        {
            Assert.Contains("without closing the stream", lost.Message, StringComparison.Ordinal);
        }
    }

    private static async Task<Socket> ConnectAsync(FaultProxy proxy)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(proxy.EndPoint, Token);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Connects and reads until the connection ends; returns the error it ended with (null: a FIN). A reset
    /// right after the handshake may already fail the connect: Linux reports it through SO_ERROR, which
    /// the runtime reads when the connect completes.
    /// </summary>
    private static async Task<SocketError?> ConnectAndDrainAsync(FaultProxy proxy)
    {
        Socket socket;
        try
        {
            socket = await ConnectAsync(proxy);
        }
        catch (SocketException ex)
        {
            return ex.SocketErrorCode;
        }

        using (socket)
        {
            var (bytes, error) = await DrainAsync(socket);
            Assert.Equal(0, bytes);
            return error;
        }
    }

    private static byte[] RandomBytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static async Task SendAllAsync(Socket socket, ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            var sent = await socket.SendAsync(data, SocketFlags.None, Token);
            data = data[sent..];
        }
    }

    /// <summary>Writes in uneven pieces, so chunk boundaries differ on each side of the proxy.</summary>
    private static async Task SendInRandomChunksAsync(Socket socket, byte[] data, int seed)
    {
        var random = new Random(seed);
        for (var offset = 0; offset < data.Length;)
        {
            var length = Math.Min(random.Next(1, 40_000), data.Length - offset);
            await SendAllAsync(socket, data.AsMemory(offset, length));
            offset += length;
        }
    }

    private static async Task<byte[]> ReceiveExactlyAsync(Socket socket, int count)
    {
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(Token);
        patience.CancelAfter(Patience);
        var buffer = new byte[count];
        for (var filled = 0; filled < count;)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, patience.Token);
            if (read == 0)
            {
                throw new EndOfStreamException($"The connection ended after {filled} of {count} bytes.");
            }

            filled += read;
        }

        return buffer;
    }

    /// <summary>Reads until the connection ends: how many bytes still came, and the error it ended with (null: a FIN).</summary>
    private static async Task<(int Bytes, SocketError? Error)> DrainAsync(Socket socket)
    {
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(Token);
        patience.CancelAfter(Patience);
        var buffer = new byte[FaultProxy.BufferSize];
        var total = 0;
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, patience.Token)) > 0)
            {
                total += read;
            }

            return (total, null);
        }
        catch (SocketException ex)
        {
            return (total, ex.SocketErrorCode);
        }
    }

    /// <summary>Writes and reads the echo at once until the connection breaks.</summary>
    private static async Task TrafficUntilBrokenAsync(Socket socket, int seed)
    {
        var chunk = RandomBytes(32 * 1024, seed);
        var writing = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    await SendAllAsync(socket, chunk);
                }
            }
            catch (SocketException)
            {
            }
        });

        // A reset may be reported to the writer instead, after which reads see a plain end.
        await DrainAsync(socket);
        await writing;
    }

    private static X509Certificate2 CreateSelfSignedCertificate(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(name);
        request.CertificateExtensions.Add(san.Build());
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddDays(-1), now.AddDays(1));
    }


    /// <summary>
    /// The real server behind the proxy: echoes every connection back, or hands each accepted socket to the
    /// test (<see cref="AcceptAsync"/>) to read and write itself.
    /// </summary>
    private sealed class TestServer : IAsyncDisposable
    {
        private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        private readonly bool _echo;
        private readonly Channel<Socket> _accepted = Channel.CreateUnbounded<Socket>();
        private readonly ConcurrentQueue<Socket> _sockets = new();
        private readonly ConcurrentQueue<Task> _echoLoops = new();
        private readonly Task _acceptLoop;
        private int _acceptedCount;

        private TestServer(bool echo)
        {
            _echo = echo;
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(512);
            _acceptLoop = Task.Run(AcceptLoopAsync);
        }

        public static TestServer StartEcho() => new(echo: true);

        public static TestServer StartManual() => new(echo: false);

        public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

        public int Accepted => Volatile.Read(ref _acceptedCount);

        public async Task<Socket> AcceptAsync() =>
            await _accepted.Reader.ReadAsync(Token).AsTask().WaitAsync(Patience, Token);

        public async ValueTask DisposeAsync()
        {
            _listener.Dispose();
            await _acceptLoop;
            foreach (var socket in _sockets)
            {
                socket.Dispose();
            }

            await Task.WhenAll(_echoLoops);
        }

        private async Task AcceptLoopAsync()
        {
            try
            {
                while (true)
                {
                    var socket = await _listener.AcceptAsync(Token);
                    socket.NoDelay = true;
                    _sockets.Enqueue(socket);
                    Interlocked.Increment(ref _acceptedCount);
                    if (_echo)
                    {
                        _echoLoops.Enqueue(EchoAsync(socket));
                    }
                    else
                    {
                        _accepted.Writer.TryWrite(socket);
                    }
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                // The listener closed.
            }
        }

        private static async Task EchoAsync(Socket socket)
        {
            var buffer = new byte[8 * 1024];
            try
            {
                int read;
                while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, Token)) > 0)
                {
                    await SendAllAsync(socket, buffer.AsMemory(0, read));
                }

                socket.Shutdown(SocketShutdown.Send);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                // Reset by the proxy, or the server is being disposed.
            }
        }
    }
}
