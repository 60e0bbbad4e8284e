using System.Globalization;
using System.Text;

namespace Gateway.Bench.Load;

/// <summary>
/// One HTTP/1.1 request, encoded once: each connection copies the bytes and, per request, writes only the sequence
/// numbers and timestamp into the <see cref="MessageBody"/> slots. The bodies are fixed width, so Content-Length holds.
/// </summary>
internal sealed class RequestTemplate
{
    private readonly byte[] _bytes;
    private readonly int[] _slots;

    private RequestTemplate(byte[] bytes, int[] slots)
    {
        _bytes = bytes;
        _slots = slots;
    }

    /// <summary>Messages carried per request (one per body slot).</summary>
    public int Messages => _slots.Length;

    /// <summary>
    /// A POST to <paramref name="pathAndQuery"/> on <paramref name="host"/> whose <paramref name="body"/> holds one or
    /// more <see cref="MessageBody"/> texts (sequence numbers and timestamps are patched in later).
    /// </summary>
    public static RequestTemplate Post(string host, string pathAndQuery, string contentType, string body, IEnumerable<KeyValuePair<string, string>> headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var bodyBytes = Encoding.UTF8.GetBytes(body);
        var head = new StringBuilder()
            .Append("POST ").Append(pathAndQuery).Append(" HTTP/1.1\r\n")
            .Append("Host: ").Append(host).Append("\r\n");
        foreach (var (name, value) in headers)
        {
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        head.Append("Content-Type: ").Append(contentType).Append("\r\n")
            .Append("Content-Length: ").Append(bodyBytes.Length.ToString(CultureInfo.InvariantCulture)).Append("\r\n\r\n");
        var headBytes = Encoding.ASCII.GetBytes(head.ToString());
        var bytes = new byte[headBytes.Length + bodyBytes.Length];
        headBytes.CopyTo(bytes, 0);
        bodyBytes.CopyTo(bytes, headBytes.Length);
        var slots = MessageBody.FindAll(bodyBytes).Select(offset => offset + headBytes.Length).ToArray();
        if (slots.Length == 0)
        {
            throw new ArgumentException("The body holds no MessageBody to patch.", nameof(body));
        }

        return new RequestTemplate(bytes, slots);
    }

    /// <summary>A private copy of the request bytes, for one connection to patch.</summary>
    public byte[] CreateBuffer() => (byte[])_bytes.Clone();

    /// <summary>Numbers the request's messages <paramref name="firstSeq"/>, +1, … and stamps them all with <paramref name="timestamp"/>.</summary>
    public void Patch(byte[] buffer, long firstSeq, long timestamp)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        for (var i = 0; i < _slots.Length; i++)
        {
            MessageBody.Patch(buffer.AsSpan(_slots[i]), firstSeq + i, timestamp);
        }
    }
}
