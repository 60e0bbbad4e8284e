using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace Gateway.Xmpp.Protocol;

/// <summary>
/// The fast path of <see cref="XmppStreamParser"/>: a strict XML 1.0 + Namespaces parser for one complete element
/// held in contiguous UTF-8, which builds the very tree <c>XElement.Load(XmlReader)</c> builds for it. Pure: no I/O.
/// </summary>
/// <remarks>
/// <para>
/// It answers only "here is the tree", "not yet" (the input ended inside the element) or "not mine": for anything
/// malformed, restricted or merely unusual it gives up without a reason, and the caller takes the reference path
/// (byte scanner + one <see cref="XmlReader"/>), which accepts the element or raises the proper stream error. So the
/// security properties stay with the reference path, and this parser only has to be right about what it accepts: a
/// subset of what the reference accepts, with an identical tree (<c>XNode.DeepEquals</c>, same attribute order,
/// same empty/non-empty elements), and about "not yet", which it says only when the scanner would not have refused
/// the bytes seen so far either. It never throws for any input.
/// </para>
/// <para>Accepted: ASCII element and attribute names; default and prefixed namespace declarations (on the element
/// or inherited from the stream header); <c>xml:lang</c>; the five predefined entities and character references to
/// XML 1.0 §2.2 Chars; CDATA sections; line-end (§2.11) and attribute-value (§3.3.3) normalisation; any valid UTF-8
/// text. Everything else falls back, among it: non-ASCII names, other <c>xml:</c> attributes (<c>xml:space</c>),
/// declarations of the <c>xml</c>/<c>xmlns</c> prefixes or URIs, more than <see cref="MaxAttributes"/> attributes on
/// an element or <see cref="MaxBindings"/> prefixes in scope (the reference path handles those without quadratic
/// lookups), and of course comments, PIs and DOCTYPEs, which the reference path refuses (RFC 6120 §11.1).</para>
/// <para>Names, namespaces and the values of to, from, type and xml:lang are looked up in a small cache keyed by
/// their bytes (<see cref="Utf8InternCache"/>), so a repeated one costs neither a string nor a global
/// <see cref="XNamespace"/> lookup; the cache has a fixed number of entries, so a peer inventing names can make it
/// miss, never grow.</para>
/// <para>Not thread-safe; one per <see cref="XmppStreamParser"/>.</para>
/// </remarks>
internal sealed class Utf8ElementParser
{
    /// <summary>More attributes than this on one element go to the reference path (duplicate checks are quadratic here).</summary>
    public const int MaxAttributes = 32;

    /// <summary>More prefix declarations than this in scope go to the reference path (prefix lookup is linear here).</summary>
    public const int MaxBindings = 32;

    private static readonly XName s_xmlnsAttribute = Utf8InternCache.NoNamespace + "xmlns";
    private static readonly XName s_xmlLang = Utf8InternCache.XmlNamespace + "lang";

    // Attributes whose values repeat from stanza to stanza (RFC 6120 §8.1): addresses, types, languages. Their
    // strings are cached by their bytes, so a repeated address is the same string instance, which Jid's own cache
    // then recognises without even comparing characters.
    private static readonly XName s_to = Utf8InternCache.NoNamespace + "to";
    private static readonly XName s_from = Utf8InternCache.NoNamespace + "from";
    private static readonly XName s_type = Utf8InternCache.NoNamespace + "type";

    // The caches and scratch arrays of the thread that runs the current parse (see Workspace).
    [ThreadStatic]
    private static Workspace? t_workspace;

    private Workspace _ws = null!;
    private int _bindingCount;
    private bool _outOfInput;

    // Scope inherited from the stream header (RFC 6120 §4.8.2, §4.8.5).
    private StreamNamespaceScope _headerScope = StreamNamespaceScope.Empty;

    private enum AttributeKind : byte
    {
        Plain,
        Prefixed,
        DefaultDeclaration,
        PrefixDeclaration,
        XmlLang,
    }

    /// <summary>
    /// The namespaces a top-level element inherits from the stream header: its default namespace and its prefixes,
    /// as <see cref="XmlParserContext"/> gives them to the reference path. Called once per stream.
    /// </summary>
    public void SetScope(IEnumerable<(string Prefix, string Uri)> declarations) =>
        _headerScope = StreamNamespaceScope.FromDeclarations(declarations);

    /// <summary>Forgets the stream header's scope (a new stream is starting).</summary>
    public void ClearScope() => _headerScope = StreamNamespaceScope.Empty;

    /// <summary>
    /// Parses the element that starts at <c>input[0]</c> (a <c>'&lt;'</c>) and ends within <paramref name="input"/>.
    /// </summary>
    /// <param name="input">The bytes from the element's <c>'&lt;'</c> on; may continue past the element.</param>
    /// <param name="maxDepth">Nesting limit; an element nested deeper is not taken (the reference path refuses it).</param>
    /// <param name="element">The tree, when the result is <see cref="ElementParseStatus.Complete"/>.</param>
    /// <param name="length">The element's length in bytes, when the result is <see cref="ElementParseStatus.Complete"/>.</param>
    public ElementParseStatus TryParse(ReadOnlySpan<byte> input, int maxDepth, out XElement? element, out int length)
    {
        _ws = t_workspace ??= new Workspace();
        _outOfInput = false;
        try
        {
            if (TryParseCore(input, maxDepth, out element, out length))
            {
                return ElementParseStatus.Complete;
            }
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or XmlException)
        {
            // Defence in depth: LINQ to XML validates names and attributes too. Whatever it objects to, the reference
            // path decides.
            _outOfInput = false;
        }

        // A tree given up halfway must not stay reachable from here until the next element overwrites it.
        Array.Clear(_ws.Frames);
        element = null;
        length = 0;
        return _outOfInput ? ElementParseStatus.Incomplete : ElementParseStatus.Declined;
    }

    // Gives up because the input ended, with everything before acceptable: more input may complete the element. Only
    // used where the reference path's byte scanner would not have refused the bytes seen so far either.
    private bool OutOfInput()
    {
        _outOfInput = true;
        return false;
    }

    private bool TryParseCore(ReadOnlySpan<byte> s, int maxDepth, [NotNullWhen(true)] out XElement? root, out int length)
    {
        root = null;
        length = 0;
        _bindingCount = 0;
        int depth = 0;
        int p = 0;
        XElement? current = null;
        XNamespace defaultNamespace = _headerScope.DefaultNamespace;
        while (true)
        {
            // Invariant: s[p] == '<'.
            if (p + 1 >= s.Length)
            {
                return OutOfInput();
            }

            byte next = s[p + 1];
            if (next == (byte)'/')
            {
                // XML 1.0 §3.1 [42]: ETag ::= '</' Name S? '>', the same Name as the start tag (WFC: Element Type Match).
                if (depth == 0)
                {
                    return false;
                }

                ref Frame frame = ref _ws.Frames[depth - 1];
                ReadOnlySpan<byte> expected = s.Slice(frame.NameStart, frame.NameLength);
                int nameStart = p + 2;
                int nameEnd = nameStart + frame.NameLength;
                if (nameEnd >= s.Length)
                {
                    // Cut short: more input helps only if what is here is the start of the expected name.
                    ReadOnlySpan<byte> present = s[nameStart..];
                    return present.Length <= expected.Length && expected.StartsWith(present) ? OutOfInput() : false;
                }

                if (!s[nameStart..nameEnd].SequenceEqual(expected))
                {
                    return false;
                }

                int q = XmlByteClasses.SkipWhitespace(s, nameEnd);
                if (q >= s.Length)
                {
                    return OutOfInput();
                }

                if (s[q] != (byte)'>')
                {
                    return false;
                }

                XElement closed = frame.Element;
                if (closed.IsEmpty)
                {
                    // "<a></a>": XElement.Load marks it as not empty, and so it serialises back with an end tag.
                    closed.Add(string.Empty);
                }

                _bindingCount = frame.BindingStart;
                frame = default;
                depth--;
                p = q + 1;
                if (depth == 0)
                {
                    root = closed;
                    length = p;
                    return true;
                }

                current = _ws.Frames[depth - 1].Element;
                defaultNamespace = _ws.Frames[depth - 1].DefaultNamespace;
            }
            else if (next == (byte)'!')
            {
                // RFC 6120 §11.1: "<![CDATA[" is the only "<!" construct allowed; the reference path refuses the others.
                ReadOnlySpan<byte> markup = s[(p + 2)..];
                if (depth == 0 || !markup.StartsWith("[CDATA["u8))
                {
                    return depth > 0 && markup.Length < 7 && "[CDATA["u8.StartsWith(markup) ? OutOfInput() : false;
                }

                int start = p + 9;
                int end = s[start..].IndexOf("]]>"u8);
                if (end < 0)
                {
                    return OutOfInput();
                }

                if (!XmlTextDecoder.TryDecode(s, start, end, XmlTextKind.CData, out string? data))
                {
                    return false;
                }

                current!.Add(new XCData(data));
                p = start + end + 3;
            }
            else
            {
                if (next == (byte)'?' || depth >= maxDepth)
                {
                    return false;
                }

                int tagStart = p;
                if (!TryParseStartTag(
                    s, ref p, defaultNamespace, out XElement? element, out bool empty, out XNamespace innerDefault, out int bindingStart, out int nameLength))
                {
                    return false;
                }

                current?.Add(element);
                if (empty)
                {
                    _bindingCount = bindingStart;
                    if (depth == 0)
                    {
                        root = element;
                        length = p;
                        return true;
                    }
                }
                else
                {
                    if (depth == _ws.Frames.Length)
                    {
                        Array.Resize(ref _ws.Frames, depth * 2);
                    }

                    // The start tag's name sits right after its '<'; the end tag's name is compared with those bytes.
                    _ws.Frames[depth++] = new Frame(element, tagStart + 1, nameLength, bindingStart, innerDefault);
                    current = element;
                    defaultNamespace = innerDefault;
                }
            }

            // Character data up to the next markup.
            int lt = s[p..].IndexOfAnyExcept(XmlByteClasses.PlainTextUntilMarkup);
            if (lt < 0)
            {
                return OutOfInput();
            }

            bool plain = s[p + lt] == (byte)'<';
            if (!plain)
            {
                int rest = s[(p + lt)..].IndexOf((byte)'<');
                if (rest < 0)
                {
                    return OutOfInput();
                }

                lt += rest;
            }

            if (lt > 0)
            {
                string? text;
                if (plain)
                {
                    text = Encoding.Latin1.GetString(s.Slice(p, lt));
                }
                else if (!XmlTextDecoder.TryDecode(s, p, lt, XmlTextKind.Text, out text))
                {
                    return false;
                }

                current!.Add(text);
                p += lt;
            }
        }
    }

    // XML 1.0 §3.1 [40] STag / [44] EmptyElemTag with Namespaces §5. On entry s[p] == '<'; on success p is past the '>'.
    // Slices of s are passed on as offsets: a span slice spilled to the stack and reloaded as an argument costs a
    // store-forwarding stall per call here.
    private bool TryParseStartTag(
        ReadOnlySpan<byte> s,
        ref int p,
        XNamespace outerDefault,
        [NotNullWhen(true)] out XElement? element,
        out bool empty,
        out XNamespace innerDefault,
        out int bindingStart,
        out int nameLength)
    {
        element = null;
        empty = false;
        innerDefault = outerDefault;
        bindingStart = _bindingCount;

        int nameStart = p + 1;
        int nameEnd = XmlByteClasses.ScanQName(s, nameStart, out int nameColon);
        nameLength = nameEnd - nameStart;
        if (nameEnd < 0)
        {
            return false;
        }

        if (nameEnd == s.Length)
        {
            return OutOfInput();
        }

        // Attributes: just their positions for now, since a declaration may follow the attribute that uses it.
        Attribute[] attributes = _ws.Attributes;
        int count = 0;
        int q = nameEnd;
        while (true)
        {
            int before = q;
            q = XmlByteClasses.SkipWhitespace(s, q);
            if (q >= s.Length)
            {
                return OutOfInput();
            }

            byte b = s[q];
            if (b == (byte)'>')
            {
                q++;
                break;
            }

            if (b == (byte)'/')
            {
                if (q + 1 >= s.Length)
                {
                    return OutOfInput();
                }

                if (s[q + 1] != (byte)'>')
                {
                    return false;
                }

                q += 2;
                empty = true;
                break;
            }

            // §3.1 [40]: attributes are separated from the name and from each other by whitespace.
            if (q == before || count == MaxAttributes)
            {
                return false;
            }

            int attributeStart = q;
            int attributeEnd = XmlByteClasses.ScanQName(s, attributeStart, out int attributeColon);
            if (attributeEnd < 0)
            {
                return false;
            }

            q = XmlByteClasses.SkipWhitespace(s, attributeEnd);
            if (q >= s.Length)
            {
                return OutOfInput();
            }

            if (s[q] != (byte)'=')
            {
                return false;
            }

            q = XmlByteClasses.SkipWhitespace(s, q + 1);
            if (q >= s.Length)
            {
                return OutOfInput();
            }

            if (s[q] is not ((byte)'"' or (byte)'\''))
            {
                return false;
            }

            byte quote = s[q];
            int valueStart = q + 1;
            int valueLength = s[valueStart..].IndexOfAnyExcept(
                quote == (byte)'"' ? XmlByteClasses.PlainValueUntilQuote : XmlByteClasses.PlainValueUntilApostrophe);
            if (valueLength < 0)
            {
                return OutOfInput();
            }

            bool plain = s[valueStart + valueLength] == quote;
            if (!plain)
            {
                int rest = s[(valueStart + valueLength)..].IndexOfAny(quote, (byte)'<');
                if (rest < 0)
                {
                    return OutOfInput();
                }

                // §3.1 [10]: AttValue excludes '<'.
                if (s[valueStart + valueLength + rest] == (byte)'<')
                {
                    return false;
                }

                valueLength += rest;
            }

            // Namespaces §3: the declarations on this element are in scope for its own name and all its attributes,
            // also those before them: they take effect now, names are resolved once the tag is complete.
            AttributeKind kind = AttributeKind.Plain;
            if (attributeColon < 0)
            {
                if (s[attributeStart..attributeEnd].SequenceEqual("xmlns"u8))
                {
                    if (!_ws.Interned.TryGetNamespace(s, valueStart, valueLength, allowEmpty: true, out XNamespace? ns))
                    {
                        return false;
                    }

                    kind = AttributeKind.DefaultDeclaration;
                    _ws.Declared[count] = ns;
                    innerDefault = ns;
                }
            }
            else
            {
                int localStart = attributeColon + 1;
                ReadOnlySpan<byte> prefix = s[attributeStart..attributeColon];
                ReadOnlySpan<byte> local = s[localStart..attributeEnd];
                if (prefix.SequenceEqual("xmlns"u8))
                {
                    // Namespaces §3: the xml and xmlns prefixes have fixed bindings; an empty value undeclares nothing
                    // in XML 1.0 (NSC: No Prefix Undeclaring). The reference path reports whatever of it is an error.
                    if (local.SequenceEqual("xml"u8) || local.SequenceEqual("xmlns"u8) || _bindingCount == MaxBindings
                        || !_ws.Interned.TryGetNamespace(s, valueStart, valueLength, allowEmpty: false, out XNamespace? ns))
                    {
                        return false;
                    }

                    kind = AttributeKind.PrefixDeclaration;
                    _ws.Declared[count] = ns;
                    _ws.Bindings[_bindingCount++] = new Binding(localStart, attributeEnd - localStart, ns);
                }
                else if (prefix.SequenceEqual("xml"u8))
                {
                    // xml:space changes how XmlReader classifies whitespace, and the others are rare: only xml:lang.
                    if (!local.SequenceEqual("lang"u8))
                    {
                        return false;
                    }

                    kind = AttributeKind.XmlLang;
                }
                else
                {
                    kind = AttributeKind.Prefixed;
                }
            }

            attributes[count++] = new Attribute(attributeStart, attributeEnd - attributeStart, attributeColon, valueStart, valueLength, plain, kind);
            q = valueStart + valueLength + 1;
        }

        XNamespace? elementNamespace = innerDefault;
        int elementLocalStart = nameStart;
        if (nameColon >= 0)
        {
            elementNamespace = LookupPrefix(s, nameStart, nameColon - nameStart);
            if (elementNamespace is null)
            {
                return false;
            }

            elementLocalStart = nameColon + 1;
        }

        element = new XElement(_ws.Interned.GetName(s, elementLocalStart, nameEnd - elementLocalStart, elementNamespace));
        if (count > 0 && !TryAddAttributes(s, element, count))
        {
            return false;
        }

        p = q;
        return true;
    }

    // The second half of a start tag, kept apart so the scanning loop above keeps its registers.
    private bool TryAddAttributes(ReadOnlySpan<byte> s, XElement element, int count)
    {
        Attribute[] attributes = _ws.Attributes;
        XName?[] names = _ws.AttributeNames;
        for (int i = 0; i < count; i++)
        {
            ref readonly Attribute attribute = ref attributes[i];
            XName name;
            string? value;
            switch (attribute.Kind)
            {
                case AttributeKind.DefaultDeclaration:
                    name = s_xmlnsAttribute;
                    value = _ws.Declared[i]!.NamespaceName;
                    break;
                case AttributeKind.PrefixDeclaration:
                    name = _ws.Interned.GetName(
                        s, attribute.Colon + 1, attribute.NameStart + attribute.NameLength - attribute.Colon - 1, Utf8InternCache.XmlnsNamespace);
                    value = _ws.Declared[i]!.NamespaceName;
                    break;
                case AttributeKind.XmlLang:
                    name = s_xmlLang;
                    if (!_ws.Interned.TryDecodeRepeatedValue(s, attribute.ValueStart, attribute.ValueLength, out value))
                    {
                        return false;
                    }

                    break;
                case AttributeKind.Prefixed:
                {
                    // Namespaces §6.2: a prefixed attribute is in its prefix's namespace.
                    XNamespace? ns = LookupPrefix(s, attribute.NameStart, attribute.Colon - attribute.NameStart);
                    if (ns is null || !TryDecodeValue(s, in attribute, out value))
                    {
                        return false;
                    }

                    name = _ws.Interned.GetName(s, attribute.Colon + 1, attribute.NameStart + attribute.NameLength - attribute.Colon - 1, ns);
                    break;
                }

                default:
                {
                    // Namespaces §6.2: an unprefixed attribute is in no namespace, whatever the default namespace.
                    name = _ws.Interned.GetName(s, attribute.NameStart, attribute.NameLength, Utf8InternCache.NoNamespace);
                    bool decoded = ReferenceEquals(name, s_to) || ReferenceEquals(name, s_from) || ReferenceEquals(name, s_type)
                        ? _ws.Interned.TryDecodeRepeatedValue(s, attribute.ValueStart, attribute.ValueLength, out value)
                        : TryDecodeValue(s, in attribute, out value);
                    if (!decoded)
                    {
                        return false;
                    }

                    break;
                }
            }

            // XML 1.0 §3.1 WFC Unique Att Spec and Namespaces §6.3: no two attributes with the same expanded name
            // (XNames are atomised, so reference equality is name equality).
            for (int j = 0; j < i; j++)
            {
                if (ReferenceEquals(names[j], name))
                {
                    return false;
                }
            }

            names[i] = name;
            element.Add(new XAttribute(name, value!));
        }

        return true;
    }

    private XNamespace? LookupPrefix(ReadOnlySpan<byte> s, int start, int length)
    {
        ReadOnlySpan<byte> prefix = s.Slice(start, length);
        if (prefix.SequenceEqual("xml"u8) || prefix.SequenceEqual("xmlns"u8))
        {
            // Elements in the xml namespace, or names with the reserved xmlns prefix: the reference path decides.
            return null;
        }

        for (int i = _bindingCount - 1; i >= 0; i--)
        {
            ref Binding binding = ref _ws.Bindings[i];
            if (s.Slice(binding.PrefixStart, binding.PrefixLength).SequenceEqual(prefix))
            {
                return binding.Namespace;
            }
        }

        return _headerScope.LookupPrefix(prefix);
    }

    private bool TryDecodeValue(ReadOnlySpan<byte> s, in Attribute attribute, [NotNullWhen(true)] out string? value)
    {
        if (attribute.Plain)
        {
            value = attribute.ValueLength == 0 ? string.Empty : Encoding.Latin1.GetString(s.Slice(attribute.ValueStart, attribute.ValueLength));
            return true;
        }

        return XmlTextDecoder.TryDecode(s, attribute.ValueStart, attribute.ValueLength, XmlTextKind.Attribute, out value);
    }

    private struct Frame(XElement element, int nameStart, int nameLength, int bindingStart, XNamespace defaultNamespace)
    {
        public XElement Element = element;
        public int NameStart = nameStart;
        public int NameLength = nameLength;
        public int BindingStart = bindingStart;
        public XNamespace DefaultNamespace = defaultNamespace;
    }

    private readonly struct Attribute(int nameStart, int nameLength, int colon, int valueStart, int valueLength, bool plain, AttributeKind kind)
    {
        public int NameStart { get; } = nameStart;

        public int NameLength { get; } = nameLength;

        public int Colon { get; } = colon;

        public int ValueStart { get; } = valueStart;

        public int ValueLength { get; } = valueLength;

        // Printable ASCII without references: the bytes are the value.
        public bool Plain { get; } = plain;

        public AttributeKind Kind { get; } = kind;
    }

    /// <summary>
    /// The caches and scratch arrays a parse works in, one set per thread rather than per parser: a parse is synchronous
    /// and never re-entered, and a connection's parser is idle nearly all the time, so ten thousand sessions need the
    /// few sets of the threads that parse, not ten thousand (about 8 KB each). The caches map bytes to the values they
    /// decode to, which do not depend on the connection, so sharing them changes no result.
    /// </summary>
    private sealed class Workspace
    {
        public readonly Utf8InternCache Interned = new();

        public readonly Attribute[] Attributes = new Attribute[MaxAttributes];
        public readonly XNamespace?[] Declared = new XNamespace?[MaxAttributes];
        public readonly XName?[] AttributeNames = new XName?[MaxAttributes];
        public readonly Binding[] Bindings = new Binding[MaxBindings];
        public Frame[] Frames = new Frame[8];
    }

    private readonly record struct Binding(int PrefixStart, int PrefixLength, XNamespace Namespace);
}
