using System.Text.Unicode;
using System.Xml;
using System.Xml.Linq;
using static Gateway.Xmpp.Protocol.StreamViolations;

namespace Gateway.Xmpp.Protocol;

/// <summary>
/// The <see cref="XmlReader"/> half of <see cref="XmppStreamParser"/>'s reference path: one reader over exactly the
/// bytes the scanner framed, for the stream header and for every top-level element the fast path declines, so no
/// reader ever blocks on, or reads past, an incomplete element. Pure: no I/O. Not thread-safe; one per stream parser.
/// </summary>
internal sealed class ReferencePathReader
{
    // The NameTable interns every element name, prefix and namespace URI it sees, for as long as it lives. Renewing
    // it after this many parsed bytes keeps the reuse win while bounding the memory a peer can pin by inventing
    // new names in every stanza.
    private const long NameTableRenewBytes = 4L * 1024 * 1024;

    // Shared across parsers and threads: it is only read after construction. No NameTable here, because NameTable
    // is not thread-safe; each stream brings its own through XmlParserContext.
    private static readonly XmlReaderSettings s_readerSettings = new()
    {
        ConformanceLevel = ConformanceLevel.Fragment,
        // RFC 6120 §11.1: no DTDs, hence no entity declarations and no entity expansion (billion laughs).
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        // The scanner refuses comments and PIs before the reader sees them; the reader would report them, not hide them.
        IgnoreComments = false,
        IgnoreProcessingInstructions = false,
        // Whitespace inside a stanza is content (<body> </body>).
        IgnoreWhitespace = false,
        CheckCharacters = true,
        CloseInput = false,
    };

    private readonly SliceStream _slice = new();

    // Per stream, from the header.
    private (string Prefix, string Uri)[] _declarations = [];
    private XmlParserContext? _context;
    private long _bytesSinceRenew;

    /// <summary>
    /// Reads the stream header from the first <paramref name="length"/> bytes of <paramref name="buffer"/>: the open
    /// tag as an empty element. Its namespace declarations become the context of the elements that follow.
    /// </summary>
    public StreamHeaderParser.ParsedHeader ReadHeader(byte[] buffer, int length)
    {
        StreamHeaderParser.ParsedHeader header;
        _slice.SetBuffer(buffer, length);
        try
        {
            header = StreamHeaderParser.Parse(_slice, buffer.AsSpan(0, length), s_readerSettings);
        }
        finally
        {
            _slice.Clear();
        }

        _declarations = header.Declarations;
        RenewContext();
        return header;
    }

    /// <summary>Parses one top-level element from the first <paramref name="length"/> bytes of
    /// <paramref name="buffer"/>, in the namespace context of the stream header.</summary>
    public XElement ReadElement(byte[] buffer, int length)
    {
        // RFC 6120 §11.6: UTF-8 only, and XML 1.0 §4.3.3 makes a malformed sequence a fatal error. Checked here rather
        // than left to the reader's decoder, so the rule does not depend on how XmlReader is configured.
        if (!Utf8.IsValid(buffer.AsSpan(0, length)))
        {
            throw Fail(StreamErrorCondition.NotWellFormed, "The element is not well-formed UTF-8.");
        }

        if (_bytesSinceRenew >= NameTableRenewBytes)
        {
            RenewContext();
        }

        _bytesSinceRenew += length;
        _slice.SetBuffer(buffer, length);
        try
        {
            using XmlReader reader = XmlReader.Create(_slice, s_readerSettings, _context);
            return XElement.Load(reader, LoadOptions.None);
        }
        catch (XmlException ex)
        {
            // Mismatched tags, undefined entities, characters outside XML 1.0 §2.2 Char, invalid UTF-8, duplicate
            // attributes, undeclared prefixes: all fatal errors in XML 1.0 terms.
            throw Fail(StreamErrorCondition.NotWellFormed, ex.Message, ex);
        }
        finally
        {
            _slice.Clear();
        }
    }

    /// <summary>Forgets the stream's header (a new stream is starting).</summary>
    public void Reset()
    {
        _declarations = [];
        _context = null;
        _bytesSinceRenew = 0;
    }

    /// <summary>The stream broke the protocol: lets go of the buffer and the NameTable until <see cref="Reset"/>.</summary>
    public void Fault()
    {
        _slice.Clear();
        _context = null;
    }

    // Top-level elements are parsed as fragments inside the stream root, so they inherit the header's default
    // namespace (RFC 6120 §4.8.2: jabber:client) and its prefixes (RFC 6120 §4.8.5: stream:).
    private void RenewContext()
    {
        var nameTable = new NameTable();
        var namespaces = new XmlNamespaceManager(nameTable);
        foreach ((string prefix, string uri) in _declarations)
        {
            if (prefix != "xml")
            {
                namespaces.AddNamespace(prefix, uri);
            }
        }

        _context = new XmlParserContext(nameTable, namespaces, xmlLang: null, XmlSpace.None);
        _bytesSinceRenew = 0;
    }
}
