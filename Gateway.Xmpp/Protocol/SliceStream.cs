namespace Gateway.Xmpp.Protocol;

/// <summary>
/// A read-only, seekable view of the parse buffer's first bytes, reused for every element so XmlReader gets a Stream
/// without a MemoryStream per stanza.
/// </summary>
/// <remarks>Seekable: XmlReader sizes its own buffers from <see cref="Length"/>.</remarks>
internal sealed class SliceStream : Stream
{
    private byte[] _bytes = [];
    private int _count;
    private int _position;

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => _count;

    public override long Position
    {
        get => _position;
        set => _position = (int)Math.Clamp(value, 0, _count);
    }

    public void SetBuffer(byte[] bytes, int count)
    {
        _bytes = bytes;
        _count = count;
        _position = 0;
    }

    public void Clear() => SetBuffer([], 0);

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = Math.Min(buffer.Length, _count - _position);
        _bytes.AsSpan(_position, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override int ReadByte() => _position < _count ? _bytes[_position++] : -1;

    public override long Seek(long offset, SeekOrigin origin)
    {
        Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => _count + offset,
        };
        return _position;
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
