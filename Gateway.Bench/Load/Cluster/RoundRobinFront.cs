using System.Net;
using System.Net.Sockets;

namespace Gateway.Bench.Load.Cluster;

/// <summary>
/// One address in front of the gateway nodes, as a layer-4 load balancer would be (nginx's stream module, a cloud
/// TCP balancer): each accepted connection goes to the next node in turn and its bytes are copied both ways
/// unchanged. It knows nothing of HTTP or of sessions, so a call for a session reaches its owner only by chance
/// (one node in N); the others forward it (docs/scale-out.md, "Forwarding").
/// </summary>
internal sealed class RoundRobinFront : IAsyncDisposable
{
    private const int BufferSize = 16 * 1024;
    private readonly IReadOnlyList<IPEndPoint> _backends;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private readonly long[] _connections;
    private readonly List<Task> _pipes = [];
    private int _next = -1;

    public RoundRobinFront(IReadOnlyList<IPEndPoint> backends)
    {
        ArgumentNullException.ThrowIfNull(backends);
        ArgumentOutOfRangeException.ThrowIfZero(backends.Count);
        _backends = backends;
        _connections = new long[backends.Count];
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(1024);
        Endpoint = (IPEndPoint)_listener.LocalEndPoint!;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The one address clients use.</summary>
    public IPEndPoint Endpoint { get; }

    /// <summary>Connections handed to each node so far, in node order.</summary>
    public IReadOnlyList<long> ConnectionsPerNode => Enumerable.Range(0, _connections.Length).Select(i => Interlocked.Read(ref _connections[i])).ToArray();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        Task[] pipes;
        lock (_pipes)
        {
            pipes = [.. _pipes];
        }

        await Task.WhenAll(pipes).ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            var node = (int)((uint)Interlocked.Increment(ref _next) % (uint)_backends.Count);
            Interlocked.Increment(ref _connections[node]);
            var pipe = PipeAsync(client, _backends[node]);
            lock (_pipes)
            {
                _pipes.RemoveAll(task => task.IsCompleted);
                _pipes.Add(pipe);
            }
        }
    }

    private async Task PipeAsync(Socket client, IPEndPoint backend)
    {
        using var clientSocket = client;
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        try
        {
            await server.ConnectAsync(backend, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException)
        {
            return; // the client sees its connection closed, as behind a balancer whose backend is down
        }

        await Task.WhenAll(CopyAsync(client, server), CopyAsync(server, client)).ConfigureAwait(false);
    }

    /// <summary>Copies until <paramref name="from"/> ends, then ends the other direction of <paramref name="to"/>.</summary>
    private async Task CopyAsync(Socket from, Socket to)
    {
        var buffer = new byte[BufferSize];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                for (var sent = 0; sent < read;)
                {
                    sent += await to.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None, _stop.Token).ConfigureAwait(false);
                }
            }

            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // One side reset or the front stops: close both ways.
            try
            {
                to.Shutdown(SocketShutdown.Both);
                from.Shutdown(SocketShutdown.Both);
            }
            catch (Exception shutdown) when (shutdown is SocketException or ObjectDisposedException)
            {
            }
        }
    }
}
