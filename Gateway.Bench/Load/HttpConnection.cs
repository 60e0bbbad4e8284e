using System.Buffers.Text;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gateway.Bench.Load;

/// <summary>
/// A minimal HTTP/1.1 keep-alive client connection on a raw socket, one request at a time: it writes the request's
/// bytes, parses the status line and the headers it needs (Content-Length, Transfer-Encoding, Connection) and skips
/// the body, or keeps it (de-chunked) when the caller reads it. Cheap enough that the load it generates does not eat
/// the CPU it measures.
/// </summary>
/// <remarks>
/// Blocking I/O on purpose, for a thread of its own: a blocked <c>recv</c> wakes its thread directly, where an async
/// receive goes through the socket engine's epoll thread and a thread-pool hop. With one request in flight per
/// connection that halves the load tool's CPU per request at low concurrency, which is CPU taken from the servers.
/// </remarks>
internal sealed class HttpConnection : IDisposable
{
    private const int BufferSize = 64 * 1024;
    private static readonly byte[] HeaderEnd = "\r\n\r\n"u8.ToArray();
    private static readonly byte[] LineEnd = "\r\n"u8.ToArray();
    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[BufferSize];
    private int _start;
    private int _count;
    private byte[] _body = [];
    private int _bodyLength;

    private HttpConnection(Socket socket) => _socket = socket;

    /// <summary>False once the server said <c>Connection: close</c> or the connection failed: open a new one.</summary>
    public bool IsReusable { get; private set; } = true;

    /// <summary>Connects; every later send or receive that takes longer than <paramref name="timeout"/> fails.</summary>
    public static HttpConnection Open(IPEndPoint endpoint, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
        {
            NoDelay = true,
            SendTimeout = (int)timeout.TotalMilliseconds,
            ReceiveTimeout = (int)timeout.TotalMilliseconds,
        };
        try
        {
            socket.Connect(endpoint);
            return new HttpConnection(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The last response's body, when <see cref="Send"/> was asked to keep it; valid until the next send.</summary>
    public ReadOnlySpan<byte> Body => _body.AsSpan(0, _bodyLength);

    /// <summary>
    /// Sends <paramref name="request"/> and reads the whole response; returns its status code. With
    /// <paramref name="keepBody"/> the body is then in <see cref="Body"/>, otherwise it is skipped.
    /// </summary>
    /// <exception cref="IOException">The connection broke, timed out, or the response was malformed.</exception>
    public int Send(ReadOnlySpan<byte> request, bool keepBody = false)
    {
        _bodyLength = 0;
        try
        {
            while (!request.IsEmpty)
            {
                request = request[_socket.Send(request, SocketFlags.None)..];
            }

            return ReadResponse(keepBody);
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

    private int ReadResponse(bool keepBody)
    {
        int headerLength;
        while ((headerLength = _buffer.AsSpan(_start, _count).IndexOf(HeaderEnd)) < 0)
        {
            Fill();
        }

        var (status, contentLength, chunked, close) = ParseHead(_buffer.AsSpan(_start, headerLength + 2));
        Consume(headerLength + HeaderEnd.Length);
        if (chunked)
        {
            ReadChunked(keepBody);
        }
        else
        {
            ReadBody(contentLength, keepBody);
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

    private void ReadChunked(bool keep)
    {
        while (true)
        {
            // "1f4;name=value\r\n": the size in hex, extensions ignored.
            var line = ReadLine();
            if (line.IndexOf((byte)';') is var semicolon and >= 0)
            {
                line = line[..semicolon];
            }

            line = line.Trim((byte)' ');
            if (!Utf8Parser.TryParse(line, out long size, out var used, 'X') || used != line.Length || size < 0)
            {
                throw new IOException("Malformed chunk size.");
            }

            if (size == 0)
            {
                // Trailers, if any, end with an empty line.
                while (!ReadLine().IsEmpty)
                {
                }

                return;
            }

            ReadBody(size, keep);
            if (!ReadLine().IsEmpty)
            {
                throw new IOException("A chunk longer than its size.");
            }
        }
    }

    /// <summary>The next line without its CRLF; valid until the next read.</summary>
    private ReadOnlySpan<byte> ReadLine()
    {
        int end;
        while ((end = _buffer.AsSpan(_start, _count).IndexOf(LineEnd)) < 0)
        {
            Fill();
        }

        var start = _start;
        Consume(end + 2);
        return _buffer.AsSpan(start, end);
    }

    /// <summary>Reads <paramref name="length"/> bytes of body, appending them to <see cref="Body"/> or dropping them.</summary>
    private void ReadBody(long length, bool keep)
    {
        if (keep && _bodyLength + length > _body.Length)
        {
            Array.Resize(ref _body, (int)Math.Max(_bodyLength + length, Math.Max(4096, 2L * _body.Length)));
        }

        while (length > 0)
        {
            if (_count == 0)
            {
                Fill();
            }

            var taken = (int)Math.Min(length, _count);
            if (keep)
            {
                _buffer.AsSpan(_start, taken).CopyTo(_body.AsSpan(_bodyLength));
                _bodyLength += taken;
            }

            Consume(taken);
            length -= taken;
        }
    }

    private void Fill()
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

        var read = _socket.Receive(_buffer.AsSpan(_start + _count), SocketFlags.None);
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
