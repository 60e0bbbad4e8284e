using System.Buffers;
using System.IO.Pipelines;
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

    private readonly SemaphoreSlim _writeLock = new(1, 1);

    /// <summary>What one write sends; used under the write lock only.</summary>
    private ArrayBufferWriter<byte> _output = new(InitialOutputBytes);
    private Stream _stream;
    private PipeReader _reader;
    private int _disposed;

    private XmppTransport(Socket socket, int maxStanzaBytes)
    {
        _socket = socket;
        _networkStream = new NetworkStream(socket, ownsSocket: false);
        _stream = _networkStream;
        _reader = CreateReader(_stream);
        _parser = new XmppStreamParser(maxStanzaBytes);
    }

    public bool IsEncrypted => _stream is SslStream;

    /// <summary>Bytes the parser has consumed on this connection: the difference around a read is the element's size.</summary>
    public long BytesRead { get; private set; }

    public XmppEndpoint? Endpoint { get; private init; }

    /// <summary>The serializer for this connection; use only inside <see cref="WriteAsync"/>'s lock via <see cref="SendAsync(Func{StanzaSerializer, ReadOnlyMemory{byte}}, CancellationToken)"/>.</summary>
    private StanzaSerializer Serializer { get; } = new();

    public static async Task<XmppTransport> ConnectAsync(XmppEndpoint endpoint, int maxStanzaBytes, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint.Host, endpoint.Port, cancellationToken).ConfigureAwait(false);
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new XmppConnectionException($"Could not connect to {endpoint.Host}:{endpoint.Port}: {ex.SocketErrorCode}.", ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new XmppTransport(socket, maxStanzaBytes) { Endpoint = endpoint };
    }

    /// <summary>
    /// Wraps the connection in TLS (after <c>&lt;proceed/&gt;</c>, RFC 6120 §5.4.3.3, or at once for XEP-0368).
    /// The parser is reset: a new stream starts over TLS.
    /// </summary>
    public async Task UpgradeToTlsAsync(string targetHost, CertificateValidator validator, CancellationToken cancellationToken)
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
        try
        {
            await ssl.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
        }
        catch (AuthenticationException ex)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw new XmppTlsException($"TLS with {targetHost} refused: {validator.LastFailure ?? ex.Message}.", ex);
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
            write(Serializer, _output);
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
