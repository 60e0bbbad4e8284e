using System.Text;
using System.Xml;
using System.Xml.Linq;
using static Gateway.Xmpp.Protocol.StreamViolations;

namespace Gateway.Xmpp.Protocol;

/// <summary>
/// The stream's own markup around its top-level elements (RFC 6120 §4.2–§4.4, §4.7, §4.8): checks the optional XML
/// declaration, reads the stream header's attributes and namespace declarations, and checks the closing tag against
/// the header's name. <see cref="XmppStreamParser"/> frames each of them and hands over its bytes. Pure: no I/O.
/// </summary>
internal static class StreamHeaderParser
{
    // RFC 6120 §11.6: UTF-8 is the only encoding; §11.1: the XML declaration is the only PI allowed.
    public static void CheckDeclaration(ReadOnlySpan<byte> declaration)
    {
        // declaration is "<?xml" S ... "?>"
        ReadOnlySpan<byte> body = declaration[2..^2];
        if (!body.StartsWith("xml"u8))
        {
            throw Restricted("processing instruction");
        }

        if (body.Length == 3)
        {
            throw Fail(StreamErrorCondition.NotWellFormed, "XML declaration without a version.");
        }

        if (!XmlByteClasses.Whitespace.Contains(body[3]))
        {
            // "<?xml-stylesheet ...?>" and friends: a PI whose target merely starts with "xml".
            throw Restricted("processing instruction");
        }

        body = body[3..];
        while (true)
        {
            body = body.TrimStart(" \t\r\n"u8);
            if (body.IsEmpty)
            {
                return;
            }

            int eq = body.IndexOf((byte)'=');
            if (eq <= 0)
            {
                throw Fail(StreamErrorCondition.NotWellFormed, "Malformed XML declaration.");
            }

            ReadOnlySpan<byte> name = body[..eq].TrimEnd(" \t\r\n"u8);
            body = body[(eq + 1)..].TrimStart(" \t\r\n"u8);
            if (body.IsEmpty || (body[0] != (byte)'"' && body[0] != (byte)'\''))
            {
                throw Fail(StreamErrorCondition.NotWellFormed, "Malformed XML declaration.");
            }

            int close = body[1..].IndexOf(body[0]);
            if (close < 0)
            {
                throw Fail(StreamErrorCondition.NotWellFormed, "Malformed XML declaration.");
            }

            ReadOnlySpan<byte> value = body.Slice(1, close);
            if (name.SequenceEqual("encoding"u8) && !Ascii.EqualsIgnoreCase(value, "UTF-8"u8))
            {
                throw Fail(
                    StreamErrorCondition.UnsupportedEncoding,
                    $"The XML declaration names encoding '{Encoding.UTF8.GetString(value)}'; XMPP requires UTF-8.");
            }

            body = body[(close + 2)..];
        }
    }

    /// <summary>
    /// Reads the stream header from <paramref name="source"/>, which holds <paramref name="tag"/>: the open tag as an
    /// empty element, so that XmlReader accepts it alone and checks all of its attributes.
    /// </summary>
    public static ParsedHeader Parse(Stream source, ReadOnlySpan<byte> tag, XmlReaderSettings settings)
    {
        var declarations = new List<(string Prefix, string Uri)>();
        string? from = null, to = null, id = null, version = null, lang = null;
        string prefix;
        string contentNamespace;
        try
        {
            using XmlReader reader = XmlReader.Create(source, settings);
            reader.MoveToContent();
            // RFC 6120 §4.8.1: the root is "stream" in the streams namespace.
            if (reader.LocalName != "stream" || reader.NamespaceURI != Ns.Streams)
            {
                throw Fail(
                    StreamErrorCondition.InvalidNamespace,
                    $"The stream root is {{{reader.NamespaceURI}}}{reader.LocalName}, not {{{Ns.Streams}}}stream.");
            }

            prefix = reader.Prefix;
            contentNamespace = reader.LookupNamespace(string.Empty) ?? string.Empty;
            while (reader.MoveToNextAttribute())
            {
                if (reader.NamespaceURI == XNamespace.Xmlns.NamespaceName)
                {
                    declarations.Add((reader.Prefix.Length == 0 ? string.Empty : reader.LocalName, reader.Value));
                }
                else if (reader.NamespaceURI == Ns.Xml)
                {
                    if (reader.LocalName == "lang")
                    {
                        lang = reader.Value;
                    }
                }
                else if (reader.NamespaceURI.Length == 0)
                {
                    switch (reader.LocalName)
                    {
                        case "from": from = reader.Value; break;
                        case "to": to = reader.Value; break;
                        case "id": id = reader.Value; break;
                        case "version": version = reader.Value; break;
                    }
                }
            }
        }
        catch (XmlException ex)
        {
            // RFC 6120 §4.9.3.2: a prefix without a declaration is bad-namespace-prefix rather than plain not-well-formed.
            throw HasUndeclaredPrefix(tag)
                ? Fail(StreamErrorCondition.BadNamespacePrefix, "The stream header uses an undeclared namespace prefix.", ex)
                : Fail(StreamErrorCondition.NotWellFormed, ex.Message, ex);
        }

        byte[] endTag = Encoding.UTF8.GetBytes(prefix.Length == 0 ? "</stream" : $"</{prefix}:stream");
        return new ParsedHeader(new StreamHeader(from, to, id, version, lang, contentNamespace), endTag, [.. declarations]);
    }

    private static bool HasUndeclaredPrefix(ReadOnlySpan<byte> tag)
    {
        ReadOnlySpan<byte> name = tag[1..];
        int nameEnd = name.IndexOfAny(XmlByteClasses.TagStops);
        int ws = name.IndexOfAny(XmlByteClasses.Whitespace);
        if (ws >= 0 && (nameEnd < 0 || ws < nameEnd))
        {
            nameEnd = ws;
        }

        name = nameEnd < 0 ? name : name[..nameEnd];
        int colon = name.IndexOf((byte)':');
        if (colon <= 0)
        {
            return false;
        }

        if (colon > 250)
        {
            return false;
        }

        Span<byte> declaration = stackalloc byte[256];
        "xmlns:"u8.CopyTo(declaration);
        name[..colon].CopyTo(declaration[6..]);
        return tag.IndexOf(declaration[..(colon + 6)]) < 0;
    }

    // XML 1.0 §3.1 [42]: ETag ::= '</' Name S? '>'; the name must be the header's qualified name.
    public static void CheckEndTag(ReadOnlySpan<byte> tag, ReadOnlySpan<byte> endTag)
    {
        if (!tag.StartsWith(endTag) || tag[endTag.Length..^1].IndexOfAnyExcept(XmlByteClasses.Whitespace) >= 0)
        {
            throw Fail(StreamErrorCondition.NotWellFormed, "End tag does not match the stream root.");
        }
    }

    /// <summary>What the stream header says, and what the rest of the stream is read with.</summary>
    /// <param name="Header">The header's attributes.</param>
    /// <param name="EndTag">The closing tag's bytes up to its name, <c>&lt;/stream</c> with the header's prefix.</param>
    /// <param name="Declarations">The header's namespace declarations, which every top-level element inherits.</param>
    public readonly record struct ParsedHeader(StreamHeader Header, byte[] EndTag, (string Prefix, string Uri)[] Declarations);
}
