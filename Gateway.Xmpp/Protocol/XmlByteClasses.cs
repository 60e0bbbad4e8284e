using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;

namespace Gateway.Xmpp.Protocol;

/// <summary>
/// Classes of UTF-8 bytes that XML 1.0 treats alike, and the scanners over them: names, whitespace, tag delimiters and
/// runs of text that need no decoding, for <see cref="Utf8ElementParser"/>, <see cref="XmlTextDecoder"/>,
/// <see cref="XmppStreamParser"/> and <see cref="StreamHeaderParser"/>. Only ASCII bytes are classified: every XML
/// delimiter is ASCII, and every byte of a multi-byte UTF-8 sequence is &gt;= 0x80, so a scan never splits a character.
/// </summary>
internal static class XmlByteClasses
{
    // Character classes of ASCII bytes for names (only ASCII names take the fast path) and XML whitespace.
    private const byte NameStartClass = 1;   // XML 1.0 §2.3 [4] restricted to ASCII, minus ':' (Namespaces §3 NCName)
    private const byte NameCharClass = 2;    // §2.3 [4a] restricted to ASCII, minus ':'
    private const byte WhitespaceClass = 4;  // §2.3 [3] S

    // XML 1.0 §2.3 [3]: S ::= (#x20 | #x9 | #xD | #xA)+
    public static readonly SearchValues<byte> Whitespace = SearchValues.Create(" \t\r\n"u8);

    // The bytes at which the stream scanner's view of a tag changes: its end, "/>", attribute-value quotes, and a '<'
    // that may not be there.
    public static readonly SearchValues<byte> TagStops = SearchValues.Create("<>/\"'"u8);

    // Bytes that end a plain run of character data and need a closer look. Everything below 0x20 is either an illegal
    // character (XML 1.0 §2.2) or whitespace that §2.11/§3.3.3 normalise.
    public static readonly SearchValues<byte> TextSpecials = SearchValues.Create(
        "\0\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u000B\u000C\r\u000E\u000F\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F&]"u8);

    public static readonly SearchValues<byte> AttributeSpecials = SearchValues.Create(
        "\0\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\t\n\u000B\u000C\r\u000E\u000F\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F&"u8);

    public static readonly SearchValues<byte> CDataSpecials = SearchValues.Create(
        "\0\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u000B\u000C\r\u000E\u000F\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F"u8);

    // ASCII that decodes to itself: the common case of ids, addresses, types and most text, copied in one pass.
    public static readonly SearchValues<byte> PlainText = SearchValues.Create(PrintableAscii(except: "&]", plus: "\t\n"));
    public static readonly SearchValues<byte> PlainAttribute = SearchValues.Create(PrintableAscii(except: "&", plus: ""));
    public static readonly SearchValues<byte> PlainCData = SearchValues.Create(PrintableAscii(except: "", plus: "\t\n"));

    // The same, minus the byte that ends the run: one scan finds the end and tells whether there is anything to decode.
    public static readonly SearchValues<byte> PlainTextUntilMarkup = SearchValues.Create(PrintableAscii(except: "&]<", plus: "\t\n"));
    public static readonly SearchValues<byte> PlainValueUntilQuote = SearchValues.Create(PrintableAscii(except: "&<\"", plus: ""));
    public static readonly SearchValues<byte> PlainValueUntilApostrophe = SearchValues.Create(PrintableAscii(except: "&<'", plus: ""));

    // NameStartClass | NameCharClass for [A-Za-z_], NameCharClass for [0-9.-], WhitespaceClass for [ \t\r\n].
    private static ReadOnlySpan<byte> CharClasses =>
    [
        0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0,
        0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 0, 0, 3,
        0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];

    // An ASCII QName: NCName (':' NCName)?. Returns the index just past it, s.Length when the input ends inside it
    // (or right after it, where it might go on), or -1 when no such name starts at i. The caller checks what follows.
    // Both scanners are inlined into the parser's start-tag loop: they run for every element and attribute name.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ScanQName(ReadOnlySpan<byte> s, int i, out int colon)
    {
        colon = -1;
        if (i >= s.Length || (CharClasses[s[i]] & NameStartClass) == 0)
        {
            return -1;
        }

        i++;
        while (i < s.Length)
        {
            byte b = s[i];
            if ((CharClasses[b] & NameCharClass) != 0)
            {
                i++;
            }
            else if (b == (byte)':' && colon < 0 && (i + 1 == s.Length || (CharClasses[s[i + 1]] & NameStartClass) != 0))
            {
                colon = i;
                i += 2;
            }
            else
            {
                return i;
            }
        }

        return s.Length;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SkipWhitespace(ReadOnlySpan<byte> s, int i)
    {
        while (i < s.Length && (CharClasses[s[i]] & WhitespaceClass) != 0)
        {
            i++;
        }

        return i;
    }

    private static byte[] PrintableAscii(string except, string plus)
    {
        var bytes = new List<byte>();
        for (int c = 0x20; c < 0x7F; c++)
        {
            if (!except.Contains((char)c, StringComparison.Ordinal))
            {
                bytes.Add((byte)c);
            }
        }

        bytes.AddRange(Encoding.ASCII.GetBytes(plus));
        return [.. bytes];
    }
}
