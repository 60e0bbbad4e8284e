using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;

namespace Gateway.Xmpp.Protocol;

/// <summary>Where a run of XML text stands, which decides how it is decoded.</summary>
internal enum XmlTextKind
{
    /// <summary>Character data (XML 1.0 §2.4): references decoded, line ends normalised (§2.11), no "]]&gt;".</summary>
    Text,

    /// <summary>An attribute value (§3.3.3): references decoded, whitespace normalised to spaces.</summary>
    Attribute,

    /// <summary>The content of a CDATA section (§2.7): taken as it is, apart from line ends (§2.11).</summary>
    CData,
}

/// <summary>
/// Decodes the UTF-8 bytes of XML text (character data, attribute values, CDATA sections) to the string
/// <see cref="System.Xml.XmlReader"/> reports for them, or refuses them: entity and character references, line-end
/// and attribute-value normalisation, and the XML 1.0 §2.2 Char and RFC 6120 §11.6 UTF-8 checks. Stateless.
/// </summary>
internal static class XmlTextDecoder
{
    private const int StackCharBufferSize = 256;

    // Character data, an attribute value or a CDATA section, to the string XmlReader reports for it. The text comes as
    // offsets into s rather than as a slice, as in the parser's own methods: a span slice spilled to the stack and
    // reloaded as an argument costs a store-forwarding stall per call.
    public static bool TryDecode(ReadOnlySpan<byte> s, int start, int length, XmlTextKind kind, [NotNullWhen(true)] out string? value)
    {
        ReadOnlySpan<byte> raw = s.Slice(start, length);
        (SearchValues<byte> plain, SearchValues<byte> specials) = kind switch
        {
            XmlTextKind.Text => (XmlByteClasses.PlainText, XmlByteClasses.TextSpecials),
            XmlTextKind.Attribute => (XmlByteClasses.PlainAttribute, XmlByteClasses.AttributeSpecials),
            _ => (XmlByteClasses.PlainCData, XmlByteClasses.CDataSpecials),
        };

        if (raw.IndexOfAnyExcept(plain) < 0)
        {
            // Printable ASCII (and tab and line feed in text): one byte is one char, nothing to check or replace.
            value = raw.IsEmpty ? string.Empty : Encoding.Latin1.GetString(raw);
            return true;
        }

        return TryDecodeSlow(raw, kind, specials, out value);
    }

    // Runs of anything but specials are transcoded with UTF-8 validation: RFC 6120 §11.6 and XML 1.0 §2.2 want
    // well-formed UTF-8 (no overlong forms, no surrogates) and none of the two non-characters U+FFFE and U+FFFF.
    private static bool TryDecodeSlow(ReadOnlySpan<byte> raw, XmlTextKind kind, SearchValues<byte> specials, [NotNullWhen(true)] out string? value)
    {
        value = null;
        // Decoding never produces more UTF-16 units than there are bytes: references shrink, UTF-8 needs >= 1 byte a unit.
        char[]? rented = raw.Length > StackCharBufferSize ? ArrayPool<char>.Shared.Rent(raw.Length) : null;
        Span<char> destination = rented ?? stackalloc char[StackCharBufferSize];
        try
        {
            int written = 0;
            int i = 0;
            while (i < raw.Length)
            {
                int special = raw[i..].IndexOfAny(specials);
                int runEnd = special < 0 ? raw.Length : i + special;
                if (runEnd > i)
                {
                    // Specials are ASCII, so a run never splits a multi-byte sequence.
                    ReadOnlySpan<byte> run = raw[i..runEnd];
                    if (Utf8.ToUtf16(run, destination[written..], out _, out int chars, replaceInvalidSequences: false)
                        != OperationStatus.Done
                        || ContainsFffeOrFfff(run))
                    {
                        return false;
                    }

                    written += chars;
                    i = runEnd;
                    if (i == raw.Length)
                    {
                        break;
                    }
                }

                byte b = raw[i];
                switch (b)
                {
                    case (byte)'&' when kind != XmlTextKind.CData:
                        if (!TryDecodeReference(raw, ref i, destination, ref written))
                        {
                            return false;
                        }

                        break;
                    case (byte)'\r':
                        // XML 1.0 §2.11: "\r\n" and a lone "\r" are read as "\n"; §3.3.3 then turns it into a space.
                        destination[written++] = kind == XmlTextKind.Attribute ? ' ' : '\n';
                        i++;
                        if (i < raw.Length && raw[i] == (byte)'\n')
                        {
                            i++;
                        }

                        break;
                    case (byte)'\n' or (byte)'\t' when kind == XmlTextKind.Attribute:
                        // XML 1.0 §3.3.3: each whitespace character of a CDATA-type attribute value becomes a space.
                        destination[written++] = ' ';
                        i++;
                        break;
                    case (byte)']' when kind == XmlTextKind.Text:
                        // XML 1.0 §2.4: "]]>" may not appear in character data.
                        if (raw[i..].StartsWith("]]>"u8))
                        {
                            return false;
                        }

                        destination[written++] = ']';
                        i++;
                        break;
                    default:
                        // XML 1.0 §2.2: control characters other than tab, line feed and carriage return.
                        return false;
                }
            }

            value = new string(destination[..written]);
            return true;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    // XML 1.0 §4.6 predefined entities and §4.1 [66] character references. On entry raw[i] == '&'.
    private static bool TryDecodeReference(ReadOnlySpan<byte> raw, ref int i, Span<char> destination, ref int written)
    {
        // "&#x10FFFF;" is the longest reference without leading zeros; longer ones go to the reference path.
        ReadOnlySpan<byte> rest = raw[(i + 1)..];
        int semicolon = rest[..Math.Min(rest.Length, 9)].IndexOf((byte)';');
        if (semicolon <= 0)
        {
            return false;
        }

        ReadOnlySpan<byte> name = rest[..semicolon];
        i += semicolon + 2;
        char c;
        switch (name)
        {
            case [(byte)'l', (byte)'t']: c = '<'; break;
            case [(byte)'g', (byte)'t']: c = '>'; break;
            case [(byte)'a', (byte)'m', (byte)'p']: c = '&'; break;
            case [(byte)'a', (byte)'p', (byte)'o', (byte)'s']: c = '\''; break;
            case [(byte)'q', (byte)'u', (byte)'o', (byte)'t']: c = '"'; break;
            case [(byte)'#', .. var digits]:
                if (!TryParseCharacterReference(digits, out int codePoint))
                {
                    return false;
                }

                // §4.1 WFC Legal Character: the referenced character must match Char (§2.2).
                if (!IsXmlChar(codePoint))
                {
                    return false;
                }

                if (codePoint >= 0x10000)
                {
                    new Rune(codePoint).EncodeToUtf16(destination[written..]);
                    written += 2;
                    return true;
                }

                c = (char)codePoint;
                break;
            default:
                // §4.1 WFC Entity Declared: no other entity exists (no DTD, RFC 6120 §11.1).
                return false;
        }

        destination[written++] = c;
        return true;
    }

    // §4.1 [66]: '&#' [0-9]+ ';' | '&#x' [0-9a-fA-F]+ ';' (a lowercase x only).
    private static bool TryParseCharacterReference(ReadOnlySpan<byte> digits, out int codePoint)
    {
        codePoint = 0;
        bool hex = digits.Length > 0 && digits[0] == (byte)'x';
        if (hex)
        {
            digits = digits[1..];
        }

        if (digits.IsEmpty)
        {
            return false;
        }

        foreach (byte d in digits)
        {
            int value;
            if (d is >= (byte)'0' and <= (byte)'9')
            {
                value = d - '0';
            }
            else if (hex && d is >= (byte)'a' and <= (byte)'f')
            {
                value = d - 'a' + 10;
            }
            else if (hex && d is >= (byte)'A' and <= (byte)'F')
            {
                value = d - 'A' + 10;
            }
            else
            {
                return false;
            }

            // At most 7 digits reach here, so this cannot overflow.
            codePoint = (codePoint * (hex ? 16 : 10)) + value;
        }

        return true;
    }

    // XML 1.0 §2.2 [2]: Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsXmlChar(int c) =>
        c is 0x9 or 0xA or 0xD or (>= 0x20 and <= 0xD7FF) or (>= 0xE000 and <= 0xFFFD) or (>= 0x10000 and <= 0x10FFFF);

    // U+FFFE and U+FFFF are EF BF BE and EF BF BF in UTF-8: well-formed, but not XML characters.
    private static bool ContainsFffeOrFfff(ReadOnlySpan<byte> utf8)
    {
        int i = 0;
        while (true)
        {
            int k = utf8[i..].IndexOf([(byte)0xEF, (byte)0xBF]);
            if (k < 0)
            {
                return false;
            }

            i += k + 2;
            if (i < utf8.Length && utf8[i] >= 0xBE)
            {
                return true;
            }
        }
    }
}
