using System.Net.Sockets;

namespace Gateway.Tests.Fakes;

internal sealed partial class FaultProxy
{
    /// <summary>One client connection, its upstream connection and the two pumps between them.</summary>
    private sealed class Connection
    {
        private readonly FaultProxy _proxy;
        private readonly Socket _client;
        private readonly Socket _upstream;
        // Never disposed: Abort may cancel it from any thread at any time, and it owns no timer.
        private readonly CancellationTokenSource _aborted = new();
        // Held while the sockets close, so a second Abort (CutAll racing a pump that saw a reset) returns
        // only once they are closed: that is what makes "nothing forwarded after CutAll returns" hold.
        private readonly Lock _closeLock = new();
        private bool _closed;

        public Connection(FaultProxy proxy, Socket client)
        {
            _proxy = proxy;
            _client = client;
            _upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        }

        /// <summary>Completes (never faults) once both sockets are closed and the proxy has forgotten this connection.</summary>
        public Task Completion { get; private set; } = Task.CompletedTask;

        public void Start() => Completion = Task.Run(RunAsync);

        /// <summary>Resets both sides at once; idempotent and safe from any thread.</summary>
        public void Abort()
        {
            lock (_closeLock)
            {
                if (_closed)
                {
                    return;
                }

                _closed = true;
                Reset(_client);
                Reset(_upstream);
            }

            // After the sockets are closed, so a pump woken from a stall or a latency has nowhere left to write.
            _aborted.Cancel();
        }

        private async Task RunAsync()
        {
            try
            {
                try
                {
                    // An XMPP whitespace ping or a one-byte TLS alert must not wait for Nagle's algorithm.
                    _client.NoDelay = true;
                    _upstream.NoDelay = true;
                    await _upstream.ConnectAsync(_proxy._upstreamEndPoint, _aborted.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (IsConnectionFailure(ex))
                {
                    // The server is down, or a cut came first: either way the client sees its connection reset.
                    Abort();
                    return;
                }

                await Task.WhenAll(
                    PumpAsync(_client, _upstream, upstream: true),
                    PumpAsync(_upstream, _client, upstream: false)).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                _proxy._faults.Enqueue(ex);
                Abort();
            }
            finally
            {
                Close();
                _proxy.Remove(this);
            }
        }

        /// <summary>Copies one direction until its FIN has been passed on; never throws.</summary>
        private async Task PumpAsync(Socket from, Socket to, bool upstream)
        {
            var buffer = new byte[BufferSize];
            var aborted = _aborted.Token;
            long held = 0;
            try
            {
                while (true)
                {
                    var read = await from.ReceiveAsync(buffer, SocketFlags.None, aborted).ConfigureAwait(false);

                    // The timer starts before the bytes count as held: a test that sees them held and then
                    // advances a fake clock always moves this timer.
                    var latency = _proxy.Latency;
                    var delay = latency > TimeSpan.Zero ? Task.Delay(latency, _proxy._time, aborted) : Task.CompletedTask;
                    held = read;
                    _proxy.AddHeld(read);
                    await delay.ConfigureAwait(false);
                    await _proxy.FlowingAsync(aborted).ConfigureAwait(false);

                    if (read == 0)
                    {
                        // The sender half-closed: pass its FIN on after the data it sent before, and let the
                        // other direction run until it ends too.
                        to.Shutdown(SocketShutdown.Send);
                        return;
                    }

                    var pending = buffer.AsMemory(0, read);
                    while (!pending.IsEmpty)
                    {
                        var sent = await to.SendAsync(pending, SocketFlags.None, aborted).ConfigureAwait(false);
                        pending = pending[sent..];
                        held -= sent;
                        _proxy.AddForwarded(upstream, sent);
                    }
                }
            }
            catch (Exception ex) when (IsConnectionFailure(ex))
            {
                // A reset from either peer, or Abort closed the sockets under us: end both directions
                // abruptly, as a broken path would, rather than half-close.
                Abort();
            }
            catch (Exception ex)
            {
                _proxy._faults.Enqueue(ex);
                Abort();
            }
            finally
            {
                if (held != 0)
                {
                    _proxy.AddHeld(-held);
                }
            }
        }

        /// <summary>Closes both sockets after both directions have ended normally (no-op after Abort).</summary>
        private void Close()
        {
            lock (_closeLock)
            {
                if (_closed)
                {
                    return;
                }

                _closed = true;
                _client.Dispose();
                _upstream.Dispose();
            }
        }
    }
}
