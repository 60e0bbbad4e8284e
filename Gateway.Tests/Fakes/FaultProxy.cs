using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Gateway.Tests.Fakes;

/// <summary>
/// A TCP proxy on loopback between a client (the gateway) and a real server (Prosody) that cuts, stalls,
/// slows or refuses connections on command, for fault tests. It never looks at the bytes, so TLS and
/// STARTTLS pass through unchanged.
/// </summary>
/// <remarks>
/// Each accepted connection gets its own upstream connection and one pump per direction. A pump holds at
/// most one <see cref="BufferSize"/> chunk: while it is stalled or slowed, TCP flow control pushes back on
/// the sender instead of the proxy buffering without bound. A pump reads, holds and writes one chunk
/// at a time, so bytes keep their order, and a FIN follows the data sent before it.
/// </remarks>
internal sealed partial class FaultProxy : IAsyncDisposable
{
    /// <summary>The most a pump holds: one chunk per connection and direction.</summary>
    public const int BufferSize = 16 * 1024;

    private readonly IPEndPoint _upstreamEndPoint;
    private readonly TimeProvider _time;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stopping = new();
    // Guards _connections and _disposed, so a connection registers either before a CutAll/DisposeAsync
    // snapshot or sees _disposed; and guards swapping _flowing.
    private readonly Lock _sync = new();
    private readonly HashSet<Connection> _connections = [];
    private readonly ConcurrentQueue<Exception> _faults = new();
    private TaskCompletionSource _flowing = CompletedSignal();
    private TaskCompletionSource _changed = NewSignal();
    private Task _acceptLoop = Task.CompletedTask;
    private bool _disposed;
    private volatile bool _refuseNew;
    private long _latencyTicks;
    private long _accepted;
    private long _refused;
    private long _bytesUpstream;
    private long _bytesDownstream;
    private long _bytesHeld;

    private FaultProxy(IPEndPoint upstream, TimeProvider time)
    {
        _upstreamEndPoint = upstream;
        _time = time;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(512);
        }
        catch
        {
            _listener.Dispose();
            throw;
        }

        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
    }

    /// <summary>
    /// Listens on 127.0.0.1 at a free port and forwards every accepted connection to <paramref name="upstream"/>.
    /// </summary>
    /// <param name="upstream">The real server; must be an IPv4 loopback address, the proxy never reaches off the machine.</param>
    /// <param name="timeProvider">Drives <see cref="SetLatency"/> only (a fake one makes latency tests deterministic); the system clock when null.</param>
    public static FaultProxy Start(IPEndPoint upstream, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        if (upstream.AddressFamily != AddressFamily.InterNetwork || !IPAddress.IsLoopback(upstream.Address))
        {
            throw new ArgumentException($"FaultProxy forwards to IPv4 loopback only, not to {upstream}.", nameof(upstream));
        }

        var proxy = new FaultProxy(upstream, timeProvider ?? TimeProvider.System);
        proxy._acceptLoop = Task.Run(proxy.AcceptLoopAsync);
        return proxy;
    }

    /// <summary>Where clients connect: 127.0.0.1:<see cref="Port"/>.</summary>
    public IPEndPoint EndPoint { get; }

    public int Port => EndPoint.Port;

    /// <summary>Where the proxy forwards to.</summary>
    public IPEndPoint Upstream => _upstreamEndPoint;

    /// <summary>
    /// Connections accepted and not yet fully closed, including one still connecting upstream. A cut
    /// connection leaves this count shortly after <see cref="CutAll"/> returns; <see cref="CutAllAsync"/> waits for that.
    /// </summary>
    public int ActiveConnections
    {
        get
        {
            lock (_sync)
            {
                return _connections.Count;
            }
        }
    }

    /// <summary>Every connection the listener accepted, refused ones included.</summary>
    public long ConnectionsAccepted => Interlocked.Read(ref _accepted);

    /// <summary>Connections closed on arrival because <see cref="RefuseNew"/> was set.</summary>
    public long ConnectionsRefused => Interlocked.Read(ref _refused);

    /// <summary>Bytes written to the server (client to server), over all connections.</summary>
    public long BytesUpstream => Interlocked.Read(ref _bytesUpstream);

    /// <summary>Bytes written to clients (server to client), over all connections.</summary>
    public long BytesDownstream => Interlocked.Read(ref _bytesDownstream);

    /// <summary>
    /// Bytes the proxy has read and not yet written on: held by <see cref="Stall"/>, <see cref="SetLatency"/>
    /// or a slow receiver. At most <see cref="BufferSize"/> per connection and direction.
    /// </summary>
    public long BytesHeld => Interlocked.Read(ref _bytesHeld);

    /// <summary>
    /// When set, each new connection is accepted and at once reset, as a client sees a server that is down;
    /// no upstream connection is made. Connections already open are not affected.
    /// </summary>
    public bool RefuseNew
    {
        get => _refuseNew;
        set => _refuseNew = value;
    }

    public bool IsStalled => !Volatile.Read(ref _flowing).Task.IsCompleted;

    public TimeSpan Latency => TimeSpan.FromTicks(Interlocked.Read(ref _latencyTicks));

    /// <summary>
    /// Stops (or resumes) forwarding in both directions on every connection, new ones included. Connections
    /// stay open and TCP keeps acknowledging, so the peers see a server (or client) that has gone silent;
    /// resuming releases what was held, in order. A chunk whose write had already begun when
    /// <paramref name="stalled"/> turned true still arrives.
    /// </summary>
    public void Stall(bool stalled)
    {
        lock (_sync)
        {
            if (stalled == IsStalled)
            {
                return;
            }

            if (stalled)
            {
                _flowing = NewSignal();
            }
            else
            {
                _flowing.TrySetResult();
            }
        }
    }

    /// <summary>
    /// Holds each chunk read from now on for <paramref name="perChunk"/> (measured by the proxy's
    /// <see cref="TimeProvider"/>) before forwarding it; zero turns latency off. Chunks are forwarded
    /// one at a time per direction, so a latency also limits throughput.
    /// </summary>
    public void SetLatency(TimeSpan perChunk)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(perChunk, TimeSpan.Zero);
        Interlocked.Exchange(ref _latencyTicks, perChunk.Ticks);
    }

    /// <summary>
    /// Resets every connection on both sides (linger 0, so each peer gets an RST, as on a dead network path)
    /// and drops whatever the proxy held. Once this returns, no byte of those connections is forwarded any
    /// more. A connection the kernel has completed but the proxy has not yet accepted is not among them:
    /// wait with <see cref="WaitForConnectionsAsync"/> first.
    /// </summary>
    /// <returns>How many connections were cut.</returns>
    public int CutAll() => Cut().Length;

    /// <summary>Like <see cref="CutAll"/>, and completes when the cut connections have left <see cref="ActiveConnections"/>.</summary>
    public async Task<int> CutAllAsync(CancellationToken cancellationToken)
    {
        var cut = Cut();
        await Task.WhenAll(cut.Select(connection => connection.Completion)).WaitAsync(cancellationToken).ConfigureAwait(false);
        return cut.Length;
    }

    /// <summary>Waits until at least <paramref name="count"/> connections are active; false if <paramref name="timeout"/> (real time) passes first.</summary>
    public Task<bool> WaitForConnectionsAsync(int count, TimeSpan timeout, CancellationToken cancellationToken) =>
        WaitUntilAsync(proxy => proxy.ActiveConnections >= count, timeout, cancellationToken);

    /// <summary>
    /// Waits until <paramref name="condition"/> holds, testing it again whenever a connection or a counter
    /// changes; false if <paramref name="timeout"/> (real time, whatever the proxy's TimeProvider) passes first.
    /// </summary>
    public async Task<bool> WaitUntilAsync(Func<FaultProxy, bool> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(condition);
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        patience.CancelAfter(timeout);
        try
        {
            while (true)
            {
                // Take the signal before testing, so a change between the test and the wait is not missed.
                var changed = Volatile.Read(ref _changed).Task;
                if (condition(this))
                {
                    return true;
                }

                await changed.WaitAsync(patience.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return condition(this);
        }
    }

    /// <summary>
    /// Stops listening, resets every connection and waits for all loops to end. Throws if a loop failed
    /// for a reason other than a closed or reset connection: that is a bug in the proxy.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        lock (_sync)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        _stopping.Cancel();
        _listener.Dispose();
        await _acceptLoop.ConfigureAwait(false);

        // The accept loop has ended and _disposed turns any late arrival away, so this snapshot is complete.
        var all = Cut();
        await Task.WhenAll(all.Select(connection => connection.Completion)).ConfigureAwait(false);
        _stopping.Dispose();

        if (!_faults.IsEmpty)
        {
            throw new AggregateException("FaultProxy loops failed.", _faults);
        }
    }

    private Connection[] Cut()
    {
        Connection[] victims;
        lock (_sync)
        {
            victims = [.. _connections];
        }

        foreach (var connection in victims)
        {
            connection.Abort();
        }

        return victims;
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
            {
                // The client gave up before we accepted it.
                continue;
            }
            catch (Exception ex)
            {
                _faults.Enqueue(ex);
                return;
            }

            Interlocked.Increment(ref _accepted);
            if (_refuseNew)
            {
                // Counted before the reset, so a client that sees the reset also sees the count.
                Interlocked.Increment(ref _refused);
                Reset(client);
                NotifyChanged();
                continue;
            }

            var connection = new Connection(this, client);
            bool registered;
            lock (_sync)
            {
                // Registered and started in one step, so every connection a CutAll snapshot finds has a Completion.
                registered = !_disposed;
                if (registered)
                {
                    _connections.Add(connection);
                    connection.Start();
                }
            }

            if (!registered)
            {
                connection.Abort();
                return;
            }

            NotifyChanged();
        }
    }

    private void Remove(Connection connection)
    {
        lock (_sync)
        {
            _connections.Remove(connection);
        }

        NotifyChanged();
    }

    private Task FlowingAsync(CancellationToken cancellationToken) =>
        Volatile.Read(ref _flowing).Task.WaitAsync(cancellationToken);

    private void AddHeld(long count)
    {
        Interlocked.Add(ref _bytesHeld, count);
        NotifyChanged();
    }

    private void AddForwarded(bool upstream, int count)
    {
        if (upstream)
        {
            Interlocked.Add(ref _bytesUpstream, count);
        }
        else
        {
            Interlocked.Add(ref _bytesDownstream, count);
        }

        Interlocked.Add(ref _bytesHeld, -count);
        NotifyChanged();
    }

    private void NotifyChanged() => Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();

    // Waiters must not run inside a pump or under a lock.
    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static TaskCompletionSource CompletedSignal()
    {
        var signal = NewSignal();
        signal.SetResult();
        return signal;
    }

    /// <summary>Closes with linger 0: the kernel drops unsent data and sends an RST instead of a FIN.</summary>
    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already reset by the peer or already closed: nothing left to abort.
        }

        socket.Dispose();
    }

    private static bool IsConnectionFailure(Exception ex) =>
        ex is SocketException or IOException or ObjectDisposedException or OperationCanceledException;
}
