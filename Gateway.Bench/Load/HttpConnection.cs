using System.Buffers.Text;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gateway.Bench.Load;

/// <summary>
/// A minimal HTTP/1.1 keep-alive client connection on a raw socket, one request at a time: it writes the request's
/// bytes, parses the status line and the headers it needs (Content-Length, Transfer-Encoding, Connection) and skips
/// the body. Cheap enough that the load it generates does not eat the CPU it measures.
/// </summary>
internal sealed class HttpConnection : IDisposable
{
    private const int BufferSize = 64 * 1024;
    private static readonly byte[] HeaderEnd = "\r\n\r\n"u8.ToArray();
    private static readonly byte[] LineEnd = "\r\n"u8.ToArray();
    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[BufferSize];
    private int _start;
    private int _count;

    private HttpConnection(Socket socket) => _socket = socket;

    /// <summary>False once the server said <c>Connection: close</c> or the connection failed: open a new one.</summary>
    public bool IsReusable { get; private set; } = true;

    public static async Task<HttpConnection> OpenAsync(IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken);
            return new HttpConnection(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends <paramref name="request"/> and reads the whole response; returns its status code.</summary>
    /// <exception cref="IOException">The connection broke or the response was malformed.</exception>
    public async Task<int> SendAsync(ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
    {
        try
        {
            while (!request.IsEmpty)
            {
                var sent = await _socket.SendAsync(request, SocketFlags.None, cancellationToken);
                request = request[sent..];
            }

            return await ReadResponseAsync(cancellationToken);
        }
        catch (SocketException ex)
        {
            IsReusable = false;
            throw new IOException(ex.Message, ex);
        }
        catch (IOException)
        {
            IsReusable = false;
            throw;
        }
    }

    public void Dispose() => _socket.Dispose();

    private async Task<int> ReadResponseAsync(CancellationToken cancellationToken)
    {
        int headerLength;
        while ((headerLength = _buffer.AsSpan(_start, _count).IndexOf(HeaderEnd)) < 0)
        {
            await FillAsync(cancellationToken);
        }

        var (status, contentLength, chunked, close) = ParseHead(_buffer.AsSpan(_start, headerLength + 2));
        Consume(headerLength + HeaderEnd.Length);
        if (chunked)
        {
            await SkipChunkedAsync(cancellationToken);
        }
        else
        {
            await SkipAsync(contentLength, cancellationToken);
        }

        if (close)
        {
            IsReusable = false;
        }

        return status;
    }

    private static (int Status, long ContentLength, bool Chunked, bool Close) ParseHead(ReadOnlySpan<byte> head)
    {
        // "HTTP/1.1 202 Accepted\r\n"
        if (head.Length < 12 || !head.StartsWith("HTTP/1."u8) || !Utf8Parser.TryParse(head.Slice(9, 3), out int status, out _))
        {
            throw new IOException("Malformed status line: " + Encoding.ASCII.GetString(head[..Math.Min(head.Length, 40)]));
        }

        long contentLength = 0;
        bool chunked = false, close = false;
        var rest = head[(head.IndexOf(LineEnd) + 2)..];
        while (rest.IndexOf(LineEnd) is var end and > 0)
        {
            var line = rest[..end];
            rest = rest[(end + 2)..];
            var colon = line.IndexOf((byte)':');
            if (colon <= 0)
            {
                continue;
            }

            var name = line[..colon];
            var value = line[(colon + 1)..].Trim((byte)' ');
            if (name.Length == 14 && Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
            {
                if (!Utf8Parser.TryParse(value, out contentLength, out _))
                {
                    throw new IOException("Malformed Content-Length.");
                }
            }
            else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
            {
                chunked = Ascii.EqualsIgnoreCase(value, "chunked"u8);
            }
            else if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
            {
                close = Ascii.EqualsIgnoreCase(value, "close"u8);
            }
        }

        return (status, contentLength, chunked, close);
    }

    private async Task SkipChunkedAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var line = await ReadLineAsync(cancellationToken);
            var semicolon = line.IndexOf(';');
            var size = Convert.ToInt64((semicolon >= 0 ? line[..semicolon] : line).Trim(), 16);
            if (size == 0)
            {
                // Trailers, if any, end with an empty line.
                while ((await ReadLineAsync(cancellationToken)).Length > 0)
                {
                }

                return;
            }

            await SkipAsync(size + 2, cancellationToken);
        }
    }

    private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        int end;
        while ((end = _buffer.AsSpan(_start, _count).IndexOf(LineEnd)) < 0)
        {
            await FillAsync(cancellationToken);
        }

        var line = Encoding.ASCII.GetString(_buffer, _start, end);
        Consume(end + 2);
        return line;
    }

    private async Task SkipAsync(long length, CancellationToken cancellationToken)
    {
        while (length > 0)
        {
            if (_count == 0)
            {
                await FillAsync(cancellationToken);
            }

            var skipped = (int)Math.Min(length, _count);
            Consume(skipped);
            length -= skipped;
        }
    }

    private async Task FillAsync(CancellationToken cancellationToken)
    {
        if (_start + _count == BufferSize)
        {
            if (_start == 0)
            {
                throw new IOException($"A response head longer than {BufferSize} bytes.");
            }

            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _count);
            _start = 0;
        }

        var read = await _socket.ReceiveAsync(_buffer.AsMemory(_start + _count), SocketFlags.None, cancellationToken);
        if (read == 0)
        {
            throw new IOException("The server closed the connection.");
        }

        _count += read;
    }

    private void Consume(int length)
    {
        _start += length;
        _count -= length;
        if (_count == 0)
        {
            _start = 0;
        }
    }
}
