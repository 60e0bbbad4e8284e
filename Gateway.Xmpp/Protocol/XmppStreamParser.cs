using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Xml;
using System.Xml.Linq;
using static Gateway.Xmpp.Protocol.StreamViolations;

namespace Gateway.Xmpp.Protocol;

/// <summary>
/// Incremental, bounded parser for one direction of an XMPP XML stream (RFC 6120 §4, §11). Pure: no I/O.
/// </summary>
/// <remarks>
/// Two paths build each top-level element, with identical results:
/// <list type="number">
/// <item>Fast path: <see cref="Utf8ElementParser"/> parses the element straight from the UTF-8 bytes into an
/// <see cref="XElement"/>: from the span at hand when the element ends in it, or, when it runs into the next read
/// (a segment boundary), from the two reads together. It takes only what it is sure of, and gives up on anything
/// else without deciding anything.</item>
/// <item>Reference path, for everything else (an element spread over more reads, malformed or restricted XML, rare
/// constructs): a hand-written byte scanner finds where the stream header and each top-level element end,
/// enforcing the size, depth and RFC 6120 §11.1 rules as it goes; the fast path gets one more try at the complete
/// element, and only what it still declines is handed to <see cref="XmlReader"/> (<see cref="ReferencePathReader"/>),
/// that exact slice, so no reader ever blocks on, or reads past, an incomplete element. Every stream error is raised
/// on this path, so which path would have built an element never changes what is refused or how.</item>
/// </list>
/// Scanning bytes is safe across split UTF-8 characters: every XML delimiter is ASCII and every byte of a
/// multi-byte UTF-8 sequence is &gt;= 0x80.
/// <para>Caller contract (style guide §3):</para>
/// <code>
/// var reader = new SequenceReader&lt;byte&gt;(result.Buffer);
/// while (parser.TryRead(ref reader, out var streamEvent)) Dispatch(streamEvent);
/// input.AdvanceTo(reader.Position, result.Buffer.End);
/// </code>
/// <list type="bullet">
/// <item>A partial element is copied into an internal buffer and its bytes are consumed: after <c>false</c> the
/// reader is at its end, so consumed == examined and the pipe never has to hold an unfinished stanza.</item>
/// <item>After <c>true</c> the reader stands just past the returned construct; nothing after it was consumed.
/// This matters when the stream is replaced: after <c>&lt;proceed/&gt;</c> the following bytes are TLS, after SASL
/// <c>&lt;success/&gt;</c> they are a new stream header for which the caller first calls <see cref="Reset"/>.</item>
/// <item>After an <see cref="XmppProtocolException"/> the parser is faulted and refuses further input until
/// <see cref="Reset"/>: the caller sends the stream error carried by the exception and closes the stream.</item>
/// <item>Not thread-safe; one parser per inbound stream.</item>
/// </list>
/// </remarks>
internal sealed class XmppStreamParser
{
    /// <summary>256 KiB: Prosody's default c2s_stanza_size_limit; see <see cref="XmppClientOptions.MaxStanzaBytes"/>.</summary>
    public const int DefaultMaxStanzaBytes = 256 * 1024;
    public const int DefaultMaxDepth = 64;

    /// <summary>Upper bound of the XML declaration and of the stream open tag, each.</summary>
    public const int MaxHeaderBytes = 8 * 1024;

    // Only an element split across reads is buffered, in memory borrowed from ArrayPool and given back as soon as the
    // element is parsed: an idle session holds no buffer (ten thousand of them would pin 40 MB for nothing), and one
    // that once received a large vCard does not keep a megabyte.
    private const int InitialBufferSize = 4 * 1024;

    // How much of the next read the fast path first adds to an element it began in the previous one.
    private const int PendingFirstTry = 1024;

    private static ReadOnlySpan<byte> CDataOpen => "[CDATA["u8;

    // XML 1.0 §2.3 [4]: ASCII bytes that cannot start a Name. Catching them here keeps "<>" or "< a" from being
    // counted as an open element, which would stall framing until the size limit instead of failing at once.
    private static readonly SearchValues<byte> s_notNameStart = SearchValues.Create(" \t\r\n<>=\"'-.0123456789"u8);

    private readonly int _maxStanzaBytes;
    private readonly int _maxDepth;
    private readonly bool _fastPath;
    private readonly ReferencePathReader _referencePath = new();
    private readonly Utf8ElementParser _elementParser = new();

    // An element the fast path built straight from the input span, waiting for TryRead to hand it out.
    private XElement? _parsedElement;

    // True while RescanPending feeds kept bytes to the scanner: the fast path has had its try at that element.
    private bool _rescanning;

    private byte[] _buffer;
    private int _length;

    private ScanState _state;
    private int _depth;
    private byte _quote;
    private int _markupMatched;
    private int _cdataBrackets;
    private bool _sawDeclaration;
    private bool _pendingEnd;

    // Per stream, from the header.
    private byte[] _endTag = [];

    /// <param name="maxStanzaBytes">Largest top-level element accepted, in bytes (RFC 6120 §13.12).</param>
    /// <param name="maxDepth">Deepest element nesting accepted inside a top-level element.</param>
    /// <param name="fastPath">False sends every element through the reference path: for differential tests.</param>
    public XmppStreamParser(int maxStanzaBytes = DefaultMaxStanzaBytes, int maxDepth = DefaultMaxDepth, bool fastPath = true)
    {
        // "<a/>" is the smallest element; anything less could not carry a single stanza.
        ArgumentOutOfRangeException.ThrowIfLessThan(maxStanzaBytes, 4);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDepth, 1);
        _maxStanzaBytes = maxStanzaBytes;
        _maxDepth = maxDepth;
        _fastPath = fastPath;
        _buffer = [];
    }

    /// <summary>Top-level elements built by the fast path since construction (diagnostics and tests).</summary>
    public long FastPathElements { get; private set; }

    /// <summary>Top-level elements built by <see cref="XmlReader"/> since construction (diagnostics and tests).</summary>
    public long ReferencePathElements { get; private set; }

    // Scanner position. Values from PrologLt on buffer the bytes they scan.
    private enum ScanState
    {
        Prolog,          // before the header: whitespace, optional XML declaration
        Stream,          // between top-level elements: whitespace keepalives (RFC 6120 §4.6.1)
        Closed,          // after </stream:stream>
        Faulted,
        PrologLt,        // "<" before the header
        Declaration,     // "<?xml ..."
        DeclarationQuestion, // "?" inside the declaration: "?>" ends it
        HeaderTag,       // "<stream:stream ..."
        HeaderQuoted,    // attribute value inside the header
        HeaderSlash,     // "/" in the header: "<stream:stream/>"
        StreamLt,        // "<" at stream level
        StreamMarkup,    // "<!" at stream level
        StreamEndTag,    // "</" at stream level
        StartTag,        // "<name ..." inside a top-level element
        Quoted,          // attribute value
        TagSlash,        // "/" in a start tag: must be "/>"
        Content,         // character data between tags
        ElementLt,       // "<" inside a top-level element
        EndTag,          // "</name"
        Markup,          // "<!" inside a top-level element: only "<![CDATA[" is allowed
        CData,           // inside "<![CDATA[ ... ]]>"
        Pending,         // a top-level element the fast path began, kept in the buffer for one more try
    }

    private enum Completion
    {
        None,
        Header,
        Element,
        End,
    }

    /// <summary>
    /// RFC 6120 §5.4.3.3 (TLS) and §6.4.6 (SASL): after negotiation succeeds both sides start a new stream
    /// over the same connection, without closing the old one. Forgets all state, including any faults.
    /// </summary>
    public void Reset()
    {
        ReleaseBuffer();
        _state = ScanState.Prolog;
        _depth = 0;
        _quote = 0;
        _markupMatched = 0;
        _cdataBrackets = 0;
        _sawDeclaration = false;
        _pendingEnd = false;
        _endTag = [];
        _referencePath.Reset();
        _parsedElement = null;
        _elementParser.ClearScope();
    }

    /// <summary>
    /// Consumes bytes from <paramref name="reader"/> until one event is complete (<c>true</c>, the reader stands just
    /// past it) or the input is exhausted (<c>false</c>, everything was consumed; partial data is kept internally).
    /// </summary>
    /// <exception cref="XmppProtocolException">The peer broke RFC 6120 §4/§11; <see cref="XmppProtocolException.Condition"/>
    /// is the stream error to send. The parser is faulted until <see cref="Reset"/>.</exception>
    /// <exception cref="InvalidOperationException">The parser is faulted.</exception>
    public bool TryRead(ref SequenceReader<byte> reader, [NotNullWhen(true)] out StreamEvent? streamEvent)
    {
        if (_state == ScanState.Faulted)
        {
            throw new InvalidOperationException("The stream parser is faulted by an earlier protocol error; call Reset() before reusing it.");
        }

        if (_pendingEnd)
        {
            _pendingEnd = false;
            _state = ScanState.Closed;
            streamEvent = StreamEndEvent.Instance;
            return true;
        }

        try
        {
            while (!reader.End)
            {
                Completion completion = Scan(reader.UnreadSpan, out int consumed);
                reader.Advance(consumed);
                switch (completion)
                {
                    case Completion.Header:
                        streamEvent = new StreamHeaderEvent(ParseHeader());
                        return true;
                    case Completion.Element:
                        streamEvent = new StreamElementEvent(TakeElement());
                        return true;
                    case Completion.End:
                        streamEvent = StreamEndEvent.Instance;
                        return true;
                }
            }
        }
        catch (XmppProtocolException)
        {
            Fault();
            throw;
        }

        streamEvent = null;
        return false;
    }

    // Advances through span until a construct completes or span ends; buffered constructs are appended to _buffer.
    private Completion Scan(ReadOnlySpan<byte> span, out int consumed)
    {
        if (_state == ScanState.Pending)
        {
            // The fast path's last try at an element begun in the previous read: the bytes kept from it plus this span,
            // as far as the size limit allows. Whatever is appended beyond the element is dropped again: only the
            // element's own bytes are consumed.
            int kept = _length;
            int take = Math.Min(span.Length, _maxStanzaBytes - kept);

            // Most elements end a few hundred bytes into the next read: try with a little of it first, so the buffer
            // seldom grows, and with all of it only when that was not enough.
            int first = Math.Min(take, Math.Max(PendingFirstTry, kept));
            Append(span[..first]);
            ElementParseStatus status = _elementParser.TryParse(_buffer.AsSpan(0, _length), _maxDepth, out XElement? element, out int length);
            if (status == ElementParseStatus.Incomplete && first < take)
            {
                Append(span[first..take]);
                status = _elementParser.TryParse(_buffer.AsSpan(0, _length), _maxDepth, out element, out length);
            }

            if (status == ElementParseStatus.Complete)
            {
                if (length <= kept)
                {
                    throw new InvalidOperationException("The fast path completed an element it had reported as incomplete.");
                }

                ReleaseBuffer();
                _state = ScanState.Stream;
                _parsedElement = element;
                consumed = length - kept;
                return Completion.Element;
            }

            _length = kept;
            RescanPending();
        }

        int i = 0;
        int start = -1;          // first byte of span that belongs to the buffered construct, -1 when not buffering
        int end = span.Length;   // while buffering: how far the size limit lets us scan
        if (_state >= ScanState.PrologLt)
        {
            start = 0;
            end = LimitEnd(span.Length, 0);
        }

        while (true)
        {
            if (i >= end)
            {
                if (start >= 0)
                {
                    if (end < span.Length)
                    {
                        throw TooLarge();
                    }

                    Append(span[start..]);
                }

                consumed = span.Length;
                return Completion.None;
            }

            switch (_state)
            {
                case ScanState.Prolog:
                {
                    int k = span[i..].IndexOfAnyExcept(XmlByteClasses.Whitespace);
                    if (k < 0)
                    {
                        i = span.Length;
                        break;
                    }

                    i += k;
                    byte b = span[i];
                    if (b != (byte)'<')
                    {
                        // RFC 6120 §11.6: UTF-8 only. NUL, 0xFE and 0xFF start UTF-16/32 text or its byte order mark.
                        throw b is 0x00 or 0xFE or 0xFF
                            ? Fail(StreamErrorCondition.UnsupportedEncoding, "The stream is not UTF-8 encoded.")
                            : Fail(StreamErrorCondition.NotWellFormed, "Character data before the stream header.");
                    }

                    start = i;
                    _state = ScanState.PrologLt;
                    end = LimitEnd(span.Length, i);
                    i++;
                    break;
                }

                case ScanState.PrologLt:
                    switch (span[i])
                    {
                        case (byte)'?':
                            // XML 1.0 §2.8: one XML declaration, before anything else; any other PI is restricted.
                            if (_sawDeclaration)
                            {
                                throw Restricted("processing instruction");
                            }

                            _state = ScanState.Declaration;
                            i++;
                            break;
                        case (byte)'!':
                            throw Restricted("DOCTYPE or comment");
                        default:
                            CheckNameStart(span[i]);
                            _state = ScanState.HeaderTag;
                            break;
                    }

                    break;

                case ScanState.Declaration:
                {
                    int k = span[i..end].IndexOf((byte)'?');
                    if (k < 0)
                    {
                        i = end;
                        break;
                    }

                    i += k + 1;
                    _state = ScanState.DeclarationQuestion;
                    break;
                }

                case ScanState.DeclarationQuestion:
                    if (span[i] != (byte)'>')
                    {
                        _state = ScanState.Declaration;
                        break;
                    }

                    i++;
                    Append(span[start..i]);
                    StreamHeaderParser.CheckDeclaration(_buffer.AsSpan(0, _length));
                    ReleaseBuffer();
                    _sawDeclaration = true;
                    _state = ScanState.Prolog;
                    start = -1;
                    end = span.Length;
                    break;

                case ScanState.HeaderTag:
                case ScanState.StartTag:
                {
                    int k = span[i..end].IndexOfAny(XmlByteClasses.TagStops);
                    if (k < 0)
                    {
                        i = end;
                        break;
                    }

                    i += k;
                    byte b = span[i];
                    bool header = _state == ScanState.HeaderTag;
                    if (b == (byte)'>')
                    {
                        i++;
                        if (header)
                        {
                            return Complete(span, start, i, Completion.Header, out consumed);
                        }

                        _state = ScanState.Content;
                    }
                    else if (b == (byte)'/')
                    {
                        i++;
                        _state = header ? ScanState.HeaderSlash : ScanState.TagSlash;
                    }
                    else if (b == (byte)'<')
                    {
                        throw Fail(StreamErrorCondition.NotWellFormed, "'<' inside a tag.");
                    }
                    else
                    {
                        _quote = b;
                        i++;
                        _state = header ? ScanState.HeaderQuoted : ScanState.Quoted;
                    }

                    break;
                }

                case ScanState.HeaderQuoted:
                case ScanState.Quoted:
                {
                    int k = span[i..end].IndexOfAny(_quote, (byte)'<');
                    if (k < 0)
                    {
                        i = end;
                        break;
                    }

                    i += k;
                    if (span[i] == (byte)'<')
                    {
                        // XML 1.0 §3.1 [10]: AttValue excludes '<'.
                        throw Fail(StreamErrorCondition.NotWellFormed, "'<' in an attribute value.");
                    }

                    i++;
                    _state = _state == ScanState.HeaderQuoted ? ScanState.HeaderTag : ScanState.StartTag;
                    break;
                }

                case ScanState.HeaderSlash:
                case ScanState.TagSlash:
                    // XML 1.0 §3.1 [44]: outside attribute values a '/' in a start tag only appears in "/>".
                    if (span[i] != (byte)'>')
                    {
                        throw Fail(StreamErrorCondition.NotWellFormed, "'/' inside a tag not followed by '>'.");
                    }

                    i++;
                    if (_state == ScanState.HeaderSlash)
                    {
                        // "<stream:stream .../>": an empty stream. Report the header now, its end on the next call.
                        _pendingEnd = true;
                        return Complete(span, start, i, Completion.Header, out consumed);
                    }

                    if (--_depth == 0)
                    {
                        return Complete(span, start, i, Completion.Element, out consumed);
                    }

                    _state = ScanState.Content;
                    break;

                case ScanState.Stream:
                {
                    // Usually the next element follows at once; search only when keepalive whitespace comes first.
                    int k = span[i] == (byte)'<' ? 0 : span[i..].IndexOfAnyExcept(XmlByteClasses.Whitespace);
                    if (k < 0)
                    {
                        i = span.Length;
                        break;
                    }

                    i += k;
                    if (span[i] != (byte)'<')
                    {
                        // RFC 6120 §4.6.1: only whitespace may appear between top-level elements.
                        throw Fail(StreamErrorCondition.BadFormat, "Character data at stream level.");
                    }

                    // Fast path: the whole element is in this span and needs no buffering. Limited to the size the
                    // scanner would accept (nothing is buffered yet); anything it does not take, the scanner
                    // below starts over from the same '<'.
                    if (_fastPath && !_rescanning)
                    {
                        int available = span.Length - i;
                        ElementParseStatus status = _elementParser.TryParse(
                            span.Slice(i, Math.Min(available, _maxStanzaBytes)), _maxDepth, out XElement? element, out int length);
                        if (status == ElementParseStatus.Complete)
                        {
                            _parsedElement = element;
                            consumed = i + length;
                            return Completion.Element;
                        }

                        if (status == ElementParseStatus.Incomplete && available < _maxStanzaBytes)
                        {
                            // The element goes on in the next read (a segment or record boundary): keep its start,
                            // consumed as the contract wants, and try again once the next bytes are here.
                            Append(span[i..]);
                            _state = ScanState.Pending;
                            consumed = span.Length;
                            return Completion.None;
                        }
                    }

                    start = i;
                    _state = ScanState.StreamLt;
                    end = LimitEnd(span.Length, i);
                    i++;
                    break;
                }

                case ScanState.StreamLt:
                    switch (span[i])
                    {
                        case (byte)'/':
                            _state = ScanState.StreamEndTag;
                            i++;
                            break;
                        case (byte)'?':
                            throw Restricted("processing instruction");
                        case (byte)'!':
                            _markupMatched = 0;
                            _state = ScanState.StreamMarkup;
                            i++;
                            break;
                        default:
                            CheckNameStart(span[i]);
                            _depth = 1;
                            _state = ScanState.StartTag;
                            break;
                    }

                    break;

                case ScanState.StreamMarkup:
                case ScanState.Markup:
                    // RFC 6120 §11.1: comments, DOCTYPE and markup declarations are restricted; "<![CDATA[" is the
                    // only "<!" construct allowed.
                    if (span[i] != CDataOpen[_markupMatched])
                    {
                        throw Restricted("comment, DOCTYPE or markup declaration");
                    }

                    i++;
                    if (++_markupMatched == CDataOpen.Length)
                    {
                        if (_state == ScanState.StreamMarkup)
                        {
                            throw Fail(StreamErrorCondition.BadFormat, "CDATA at stream level.");
                        }

                        _cdataBrackets = 0;
                        _state = ScanState.CData;
                    }

                    break;

                case ScanState.StreamEndTag:
                {
                    int k = span[i..end].IndexOf((byte)'>');
                    if (k < 0)
                    {
                        i = end;
                        break;
                    }

                    i += k + 1;
                    Append(span[start..i]);
                    StreamHeaderParser.CheckEndTag(_buffer.AsSpan(0, _length), _endTag);
                    ReleaseBuffer();
                    _state = ScanState.Closed;
                    consumed = i;
                    return Completion.End;
                }

                case ScanState.Closed:
                    // XML 1.0 §2.1: nothing but Misc after the root element, and RFC 6120 §11.1 rules out comments and PIs.
                    if (span[i..].IndexOfAnyExcept(XmlByteClasses.Whitespace) >= 0)
                    {
                        throw Fail(StreamErrorCondition.NotWellFormed, "Data after the end of the stream.");
                    }

                    i = span.Length;
                    break;

                case ScanState.Content:
                {
                    int k = span[i..end].IndexOf((byte)'<');
                    if (k < 0)
                    {
                        i = end;
                        break;
                    }

                    i += k + 1;
                    _state = ScanState.ElementLt;
                    break;
                }

                case ScanState.ElementLt:
                    switch (span[i])
                    {
                        case (byte)'/':
                            _state = ScanState.EndTag;
                            i++;
                            break;
                        case (byte)'?':
                            throw Restricted("processing instruction");
                        case (byte)'!':
                            _markupMatched = 0;
                            _state = ScanState.Markup;
                            i++;
                            break;
                        default:
                            CheckNameStart(span[i]);
                            if (++_depth > _maxDepth)
                            {
                                throw LocalLimit($"Element nesting deeper than {_maxDepth}.");
                            }

                            _state = ScanState.StartTag;
                            break;
                    }

                    break;

                case ScanState.EndTag:
                {
                    int k = span[i..end].IndexOf((byte)'>');
                    if (k < 0)
                    {
                        i = end;
                        break;
                    }

                    i += k + 1;
                    if (--_depth == 0)
                    {
                        return Complete(span, start, i, Completion.Element, out consumed);
                    }

                    _state = ScanState.Content;
                    break;
                }

                case ScanState.CData:
                    i = ScanCData(span, i, end);
                    break;

                default:
                    throw new InvalidOperationException($"Unexpected scanner state {_state}.");
            }
        }
    }

    // Looks for "]]>", which may be split across reads; _cdataBrackets counts the ']' just seen.
    private int ScanCData(ReadOnlySpan<byte> span, int i, int end)
    {
        while (i < end)
        {
            byte b = span[i];
            if (b == (byte)']')
            {
                _cdataBrackets++;
                i++;
            }
            else if (b == (byte)'>' && _cdataBrackets >= 2)
            {
                _state = ScanState.Content;
                return i + 1;
            }
            else
            {
                _cdataBrackets = 0;
                int k = span[(i + 1)..end].IndexOf((byte)']');
                i = k < 0 ? end : i + 1 + k;
            }
        }

        return i;
    }

    private static void CheckNameStart(byte b)
    {
        if (s_notNameStart.Contains(b))
        {
            throw Fail(StreamErrorCondition.NotWellFormed, "'<' not followed by an element name.");
        }
    }

    private Completion Complete(ReadOnlySpan<byte> span, int start, int i, Completion completion, out int consumed)
    {
        Append(span[start..i]);
        _state = ScanState.Stream;
        consumed = i;
        return completion;
    }

    // The buffered construct may not grow past the limit: scanning stops there, so we never hold more than that.
    private int LimitEnd(int spanLength, int start)
    {
        int limit = InPrologOrHeader ? MaxHeaderBytes : _maxStanzaBytes;
        return start + Math.Min(spanLength - start, limit - _length);
    }

    private bool InPrologOrHeader => _state is >= ScanState.PrologLt and <= ScanState.HeaderSlash;

    private XmppProtocolException TooLarge() => InPrologOrHeader
        ? LocalLimit($"Stream header or XML declaration larger than {MaxHeaderBytes} bytes.")
        : LocalLimit($"Top-level element larger than {_maxStanzaBytes} bytes.");

    // RFC 6120 §4.9.3.14: policy-violation is the condition for input over a local limit; marked so the session can tell
    // it from a server's policy-violation (a ban), which calls for a different reconnect.
    private static XmppProtocolException LocalLimit(string message) =>
        new(StreamErrorCondition.PolicyViolation, message) { ExceedsLocalLimit = true };

    private StreamHeader ParseHeader()
    {
        if (!_pendingEnd)
        {
            // An open tag alone is not a fragment XmlReader accepts; as an empty element it is, and all of its
            // attributes and namespace declarations get checked.
            Append(">"u8);
            _buffer[_length - 2] = (byte)'/';
        }

        StreamHeaderParser.ParsedHeader parsed;
        try
        {
            parsed = _referencePath.ReadHeader(_buffer, _length);
        }
        finally
        {
            ReleaseBuffer();
        }

        _endTag = parsed.EndTag;
        _elementParser.SetScope(parsed.Declarations);
        return parsed.Header;
    }

    // Hands the bytes kept for the fast path to the scanner, which takes over the element as if it had seen them
    // arrive: it enforces its rules on them (and throws if one is broken) and buffers them, ready for the next read.
    private void RescanPending()
    {
        int count = _length;
        byte[] kept = ArrayPool<byte>.Shared.Rent(count);
        _buffer.AsSpan(0, count).CopyTo(kept);
        ReleaseBuffer();
        _state = ScanState.Stream;
        _rescanning = true;
        try
        {
            // The fast path saw all of these bytes and found them incomplete, so the scanner cannot complete the
            // element within them either.
            if (Scan(kept.AsSpan(0, count), out int consumed) != Completion.None || consumed != count)
            {
                throw new InvalidOperationException("The scanner completed an element the fast path had reported as incomplete.");
            }
        }
        finally
        {
            _rescanning = false;
            ArrayPool<byte>.Shared.Return(kept);
        }
    }

    private XElement TakeElement()
    {
        if (_parsedElement is { } element)
        {
            _parsedElement = null;
            FastPathElements++;
            return element;
        }

        // The scanner buffered the element (it was split across more than two reads, or the fast path gave it up).
        if (_fastPath
            && _elementParser.TryParse(_buffer.AsSpan(0, _length), _maxDepth, out element, out int length) == ElementParseStatus.Complete
            && element is not null
            && length == _length)
        {
            ReleaseBuffer();
            FastPathElements++;
            return element;
        }

        ReferencePathElements++;
        return ParseElement();
    }

    private XElement ParseElement()
    {
        try
        {
            return _referencePath.ReadElement(_buffer, _length);
        }
        finally
        {
            ReleaseBuffer();
        }
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        int needed = _length + bytes.Length;
        if (needed > _buffer.Length)
        {
            // Doubling, capped at the largest construct we accept (+1 for the '/' ParseHeader inserts).
            int cap = Math.Max(_maxStanzaBytes, MaxHeaderBytes + 1);
            int size = Math.Max(Math.Max(needed, InitialBufferSize), (int)Math.Min((long)_buffer.Length * 2, cap));
            byte[] larger = ArrayPool<byte>.Shared.Rent(size);
            _buffer.AsSpan(0, _length).CopyTo(larger);
            if (_buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
            }

            _buffer = larger;
        }

        bytes.CopyTo(_buffer.AsSpan(_length));
        _length = needed;
    }

    private void ReleaseBuffer()
    {
        _length = 0;
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }

    private void Fault()
    {
        _referencePath.Fault();
        ReleaseBuffer();
        _state = ScanState.Faulted;
    }
}
