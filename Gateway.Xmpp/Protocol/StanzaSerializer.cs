using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace Gateway.Xmpp.Protocol;

/// <summary>
/// Serialises stanzas and other top-level elements to UTF-8 bytes. One instance per thread
/// (<see cref="ForCurrentThread"/>): the buffer is reused, so the returned memory is only valid until the next call on
/// the same thread, and a caller copies it before it does anything else.
/// </summary>
internal sealed class StanzaSerializer
{
    private static readonly XmlWriterSettings WriterSettings = new()
    {
        Encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
        OmitXmlDeclaration = true,
        ConformanceLevel = ConformanceLevel.Fragment,
        // RFC 6120 §11.4: only characters legal in XML 1.0 may be sent; XmlWriter refuses the others.
        CheckCharacters = true,
        // Keep CR and tabs in attribute and text values exactly as given.
        NewLineHandling = NewLineHandling.Entitize,
        NamespaceHandling = NamespaceHandling.OmitDuplicates,
        Indent = false,
        CloseOutput = false,
    };

    private readonly MemoryStream _buffer = new(capacity: 1024);

    /// <summary>
    /// One writer for every element: creating an XmlWriter allocates several KB of buffers, more than the stanza
    /// itself. A fragment-level writer takes one top-level element after another; each call flushes it and
    /// takes the bytes. A write that fails leaves the writer in its error state, so it is then replaced.
    /// </summary>
    private XmlWriter? _writer;

    /// <summary>Serialises a stanza; throws <see cref="ArgumentException"/> when it holds characters XML cannot carry.</summary>
    public ReadOnlyMemory<byte> Serialize(Stanza stanza) => Write(stanza, static (stanza, writer) => StanzaCodec.Write(stanza, writer));

    /// <summary>Serialises any element (stream negotiation elements, XEP-0198 nonzas).</summary>
    public ReadOnlyMemory<byte> Serialize(XElement element) => Write(element, static (element, writer) => element.WriteTo(writer));

    private ReadOnlyMemory<byte> Write<T>(T value, Action<T, XmlWriter> write)
    {
        _buffer.SetLength(0);
        var writer = _writer ??= XmlWriter.Create(_buffer, WriterSettings);
        try
        {
            write(value, writer);
            writer.Flush();
        }
        catch
        {
            _writer = null;
            writer.Dispose();
            _buffer.SetLength(0);
            throw;
        }

        return _buffer.GetBuffer().AsMemory(0, (int)_buffer.Length);
    }

    /// <summary>Per thread: a serializer's writer costs more than a stanza, and a connection writes rarely.</summary>
    [ThreadStatic]
    private static StanzaSerializer? t_shared;

    /// <summary>
    /// The current thread's serializer. Connections serialise synchronously inside their write lock and copy the bytes
    /// out before anything else runs, so they share the thread's instance instead of keeping one each (an XmlWriter's
    /// buffers are several KB per connection, which ten thousand idle sessions would hold for nothing).
    /// </summary>
    public static StanzaSerializer ForCurrentThread => t_shared ??= new StanzaSerializer();

    /// <summary>Serialises a stanza into a new array: exactly the bytes a connection writes for it.</summary>
    /// <exception cref="ArgumentException">The stanza holds characters XML cannot carry.</exception>
    public static byte[] ToBytes(Stanza stanza) => ForCurrentThread.Serialize(stanza).ToArray();

    /// <summary>Serialises a stanza into a string; for storage, logs at Trace level and the raw-XML API.</summary>
    /// <exception cref="ArgumentException">The stanza holds characters XML cannot carry.</exception>
    public static string ToXml(Stanza stanza) => Encoding.UTF8.GetString(ForCurrentThread.Serialize(stanza).Span);
}
