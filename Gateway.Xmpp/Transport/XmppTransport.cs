using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Gateway.Xmpp.Protocol;

namespace Gateway.Xmpp.Transport;

/// <summary>
/// One TCP connection carrying an XML stream: bytes in through a <see cref="PipeReader"/> and the
/// incremental parser, bytes out under a write lock. Knows nothing about XMPP semantics beyond framing.
/// </summary>
internal sealed class XmppTransport : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _networkStream;
    private readonly XmppStreamParser _parser;
    private const int InitialOutputBytes = 1024;
    private const int MaxRetainedOutputBytes = 256 * 1024;
    private static readonly SslApplicationProtocol XmppClientAlpn = new("xmpp-client");

    private readonly SemaphoreSlim _writeLock = new(1, 1);

    /// <summary>What one write sends; used under the write lock only.</summary>
    private ArrayBufferWriter<byte> _output = new(InitialOutputBytes);
    private Stream _stream;
    private PipeReader _reader;
    private int _disposed;

    /// <summary>Set under the write lock once our closing tag is written: nothing may follow it (RFC 6120 §4.4).</summary>
    private bool _streamClosed;

    private XmppTransport(Socket socket, int maxStanzaBytes)
    {
        _socket = socket;
        _networkStream = new NetworkStream(socket, ownsSocket: false);
        _stream = _networkStream;
        _reader = CreateReader(_stream);
        _parser = new XmppStreamParser(maxStanzaBytes);
    }

    public bool IsEncrypted => _stream is SslStream;

    /// <summary>The server's certificate once TLS is up (for channel binding); null before.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? RemoteCertificate =>
        (_stream as SslStream)?.RemoteCertificate as System.Security.Cryptography.X509Certificates.X509Certificate2;

    /// <summary>Bytes the parser has consumed on this connection: the difference around a read is the element's size.</summary>
    public long BytesRead { get; private set; }

    public XmppEndpoint? Endpoint { get; private init; }


    /// <summary>
    /// Connects to <paramref name="address"/>, an address of <paramref name="endpoint"/> that the caller has already
    /// checked: the host name is not resolved again here, so what was checked is what is reached.
    /// </summary>
    public static async Task<XmppTransport> ConnectAsync(XmppEndpoint endpoint, IPEndPoint address, ISocketConnector connector, int maxStanzaBytes, CancellationToken cancellationToken)
    {
        Socket socket;
        try
        {
            socket = await connector.ConnectAsync(address, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            // Names the address and the socket error: for the logs only; the client reports a generic failure.
            throw new XmppConnectionException($"Could not connect to {endpoint.Host} ({address}): {ex.SocketErrorCode}.", ex);
        }

        return new XmppTransport(socket, maxStanzaBytes) { Endpoint = endpoint };
    }

    /// <summary>
    /// Wraps the connection in TLS (after <c>&lt;proceed/&gt;</c>, RFC 6120 §5.4.3.3, or at once for XEP-0368).
    /// The parser is reset: a new stream starts over TLS.
    /// </summary>
    /// <param name="targetHost">The XMPP domain: sent as SNI and matched against the certificate (RFC 6120 §13.7.2), whatever address was reached.</param>
    /// <param name="validator">Decides whether the certificate is trusted.</param>
    /// <param name="directTls">TLS from the first byte: offers ALPN <c>xmpp-client</c> (XEP-0368 §3).</param>
    /// <param name="cancellationToken">Cancels the handshake.</param>
    public async Task UpgradeToTlsAsync(string targetHost, CertificateValidator validator, bool directTls, CancellationToken cancellationToken)
    {
        // The server sends nothing between <proceed/> and the TLS handshake, so no buffered bytes are lost here.
        await _reader.CompleteAsync().ConfigureAwait(false);
        var ssl = new SslStream(_networkStream, leaveInnerStreamOpen: true);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = targetHost,
            RemoteCertificateValidationCallback = (_, certificate, chain, errors) => validator.Validate(certificate, chain, errors),
            EnabledSslProtocols = SslProtocols.None, // let the OS choose; TLS 1.2+ on current systems
        };
        if (directTls)
        {
            // XEP-0368 §3: a direct TLS client offers ALPN "xmpp-client", so a server sharing port 443 can tell it apart.
            options.ApplicationProtocols = [XmppClientAlpn];
        }

        try
        {
            await ssl.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
        }
        catch (AuthenticationException ex)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            // The message says why in general terms; the certificate's subject and fingerprint stay in the inner
            // exception, for the logs: an API caller must not learn what answers at an address it chose.
            throw new XmppTlsException(
                $"TLS with the XMPP server for {targetHost} refused: {validator.LastFailure ?? "the handshake failed"}.",
                new AuthenticationException(validator.LastFailureDetail ?? ex.Message, ex));
        }
        catch (IOException ex)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw new XmppConnectionException($"The connection to {targetHost} failed during the TLS handshake.", ex);
        }

        _stream = ssl;
        _reader = CreateReader(_stream);
        _parser.Reset();
    }

    /// <summary>RFC 6120 §6.4.6: after SASL success both sides start a fresh stream over the same connection.</summary>
    public void ResetStream() => _parser.Reset();

    /// <summary>Reads until the parser yields the next stream event.</summary>
    public async ValueTask<StreamEvent> ReadEventAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result;
            try
            {
                result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                throw new XmppConnectionException("The connection was lost while reading.", ex);
            }
            catch (ObjectDisposedException ex)
            {
                throw new XmppConnectionException("The connection was closed.", ex);
            }

            var buffer = result.Buffer;
            var reader = new SequenceReader<byte>(buffer);
            bool produced;
            StreamEvent? streamEvent;
            try
            {
                produced = _parser.TryRead(ref reader, out streamEvent);
            }
            catch
            {
                _reader.AdvanceTo(buffer.Start, buffer.End);
                throw;
            }

            BytesRead += reader.Consumed;
            if (produced)
            {
                _reader.AdvanceTo(reader.Position);
                return streamEvent!;
            }

            _reader.AdvanceTo(reader.Position, buffer.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                throw new XmppConnectionException("The server closed the connection without closing the stream.");
            }
        }
    }

    /// <summary>
    /// Writes the last bytes of our half of the stream — <c>&lt;/stream:stream&gt;</c>, or a stream error ending with it — and
    /// refuses every later write with <see cref="XmppConnectionException"/>: RFC 6120 §4.4 lets nothing follow the closing
    /// tag, however many parts of the session (reply writer, read loop, senders) still have something to say. So only the
    /// first close is written; a second one throws like any other late write.
    /// </summary>
    public Task CloseStreamAsync(ReadOnlyMemory<byte> lastBytes, CancellationToken cancellationToken) =>
        SendAsync(
            (_, output) =>
            {
                output.Write(lastBytes.Span);
                _streamClosed = true;
            },
            cancellationToken);

    /// <summary>Writes raw bytes (stream headers, closing tag, whitespace) under the write lock.</summary>
    public Task WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken) =>
        SendAsync(_ => bytes, cancellationToken);

    /// <summary>Serialises under the write lock (the serializer's buffer is shared) and writes the bytes.</summary>
    public Task SendAsync(Func<StanzaSerializer, ReadOnlyMemory<byte>> serialize, CancellationToken cancellationToken) =>
        SendAsync((serializer, output) => output.Write(serialize(serializer).Span), cancellationToken);

    /// <summary>
    /// Runs <paramref name="write"/> under the write lock — it serialises any number of elements into the output — and
    /// writes everything it produced in one write and one flush: one system call (and one TLS record) for a batch.
    /// </summary>
    public async Task SendAsync(Action<StanzaSerializer, IBufferWriter<byte>> write, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _output.ResetWrittenCount();
            if (_streamClosed)
            {
                throw new XmppConnectionException("Our side of the stream is closed: nothing may be written after </stream:stream> (RFC 6120 §4.4).");
            }

            // Synchronous, so the thread's serializer is this write's alone until the bytes are in _output.
            write(StanzaSerializer.ForCurrentThread, _output);
            if (_output.WrittenCount == 0)
            {
                return;
            }

            await _stream.WriteAsync(_output.WrittenMemory, cancellationToken).ConfigureAwait(false);
            await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (_output.Capacity > MaxRetainedOutputBytes)
            {
                // A burst of large stanzas grew it: give the memory back rather than keep it for the connection's life.
                _output = new ArrayBufferWriter<byte>(InitialOutputBytes);
            }
        }
        catch (IOException ex)
        {
            throw new XmppConnectionException("The connection was lost while writing.", ex);
        }
        catch (ObjectDisposedException ex)
        {
            throw new XmppConnectionException("The connection was closed.", ex);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Ends the connection at once, without any closing handshake (used to simulate and handle failures).</summary>
    public void Abort()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        _socket.Close();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Abort();
        await _reader.CompleteAsync().ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
        await _networkStream.DisposeAsync().ConfigureAwait(false);
        _socket.Dispose();
    }

    /// <summary>
    /// Zero-byte reads: an idle connection waits for data without holding a rented buffer, so ten thousand idle
    /// sessions do not pin ten thousand 16 KB buffers (SslStream supports them too).
    /// </summary>
    private static PipeReader CreateReader(Stream stream) =>
        PipeReader.Create(stream, new StreamPipeReaderOptions(pool: null, bufferSize: 16 * 1024, minimumReadSize: 4096, leaveOpen: true, useZeroByteReads: true));
}
