using System.Globalization;
using System.Text;
using System.Xml.Linq;
using Gateway.Xmpp;
using Gateway.Xmpp.Protocol;
using static Gateway.Tests.Protocol.XmppStreamParserTestKit;

namespace Gateway.Tests.Protocol;

/// <summary>
/// Compares the stream parser's fast path with its reference path (<c>fastPath: false</c>: byte scanner + XmlReader),
/// exactly: same events, same trees node by node, same stream error, however the bytes are split.
/// </summary>
internal static class FastPathTestKit
{
    /// <summary>What a parser made of some input: the events up to the end of the input or the first error, and that error.</summary>
    public sealed record Outcome(IReadOnlyList<string> Events, StreamErrorCondition? Error, long FastPathElements, long ReferencePathElements)
    {
        public override string ToString() =>
            $"{(Error is null ? "accepted" : $"refused: {Error}")}; {Events.Count} events; fast {FastPathElements}, reference {ReferencePathElements}\n  "
            + string.Join("\n  ", Events);
    }

    /// <summary>Feeds <paramref name="data"/> in <paramref name="chunks"/> (one read each) to a new parser.</summary>
    public static Outcome Run(byte[] data, bool fastPath, IEnumerable<int> chunks, int maxStanzaBytes = XmppStreamParser.DefaultMaxStanzaBytes, int maxDepth = XmppStreamParser.DefaultMaxDepth)
    {
        var parser = new XmppStreamParser(maxStanzaBytes, maxDepth, fastPath);
        var events = new List<StreamEvent>();
        StreamErrorCondition? error = null;
        try
        {
            int offset = 0;
            using IEnumerator<int> sizes = chunks.GetEnumerator();
            while (offset < data.Length)
            {
                int count = sizes.MoveNext() ? Math.Min(sizes.Current, data.Length - offset) : data.Length - offset;
                FeedOne(parser, new System.Buffers.ReadOnlySequence<byte>(data, offset, count), events);
                offset += count;
            }
        }
        catch (XmppProtocolException ex)
        {
            error = ex.Condition;
        }

        return new Outcome([.. events.Select(Dump)], error, parser.FastPathElements, parser.ReferencePathElements);
    }

    public static Outcome RunWhole(byte[] data, bool fastPath) => Run(data, fastPath, [data.Length]);

    /// <summary>Asserts that the fast path ends exactly where the reference path ends, for several ways of splitting.</summary>
    public static Outcome AssertSameAsReference(byte[] data, int seed, string because, bool byteByByte = true)
    {
        Outcome reference = RunWhole(data, fastPath: false);
        Assert.Equal(0, reference.FastPathElements);
        AssertSame(reference, RunWhole(data, fastPath: true), "whole", because);
        AssertSame(reference, Run(data, fastPath: true, RandomChunks(seed, maxChunk: 97)), "random chunks", because);
        if (byteByByte)
        {
            AssertSame(reference, Run(data, fastPath: true, Enumerable.Repeat(1, data.Length)), "byte by byte", because);
        }

        return reference;
    }

    private static void AssertSame(Outcome expected, Outcome actual, string feeding, string because)
    {
        if (expected.Error != actual.Error || !expected.Events.SequenceEqual(actual.Events))
        {
            Assert.Fail($"Fast path differs from the reference path ({feeding}) for {because}.\nReference: {expected}\nFast:      {actual}");
        }
    }

    /// <summary>
    /// An exact rendering of an event: element and attribute names with their namespaces, attributes in order,
    /// text and CDATA nodes told apart, and empty elements (<c>&lt;a/&gt;</c>) told from elements with empty
    /// content (<c>&lt;a&gt;&lt;/a&gt;</c>). Two trees render the same exactly when they are the same tree.
    /// </summary>
    public static string Dump(StreamEvent streamEvent) => streamEvent switch
    {
        StreamElementEvent element => Dump(element.Element),
        _ => Render(streamEvent),
    };

    public static string Dump(XElement element)
    {
        var builder = new StringBuilder();
        Dump(element, builder);
        return builder.ToString();
    }

    private static void Dump(XElement element, StringBuilder builder)
    {
        builder.Append('<').Append(element.Name.ToString());
        foreach (XAttribute attribute in element.Attributes())
        {
            builder.Append(' ').Append(attribute.Name.ToString()).Append("=[").Append(Escape(attribute.Value)).Append(']');
        }

        if (element.IsEmpty)
        {
            builder.Append("/>");
            return;
        }

        builder.Append('>');
        foreach (XNode node in element.Nodes())
        {
            switch (node)
            {
                case XElement child:
                    Dump(child, builder);
                    break;
                case XCData cdata:
                    builder.Append("CDATA[").Append(Escape(cdata.Value)).Append(']');
                    break;
                case XText text:
                    builder.Append("TEXT[").Append(Escape(text.Value)).Append(']');
                    break;
                default:
                    builder.Append(node.NodeType.ToString());
                    break;
            }
        }

        builder.Append("</>");
    }

    // Makes every character visible, so "\r", "\n", "\t" and " " differences show in a failure message.
    private static string Escape(string value)
    {
        var builder = new StringBuilder(value.Length);
        foreach (char c in value)
        {
            if (c is < ' ' or '[' or ']' or '\\' || char.IsSurrogate(c) || c > '~')
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}

/// <summary>
/// Random well-formed stanzas that use what XMPP uses: default and prefixed namespace declarations at any level,
/// xmlns="" undeclarations, xml:lang, the predefined entities and character references (BMP and beyond, whitespace
/// ones too), raw tabs, newlines and carriage returns in text and attribute values, both quote styles, '&gt;' and
/// "]]&gt;" where they are allowed, CDATA sections, empty and start/end-tag empty elements, whitespace inside tags,
/// and multi-byte UTF-8.
/// </summary>
internal sealed class StanzaGenerator(int seed)
{
    private static readonly string[] Uris = ["jabber:client", "urn:xmpp:sid:0", "http://jabber.org/protocol/chatstates", "urn:example:a", "urn:example:b&amp;c", "http://example.com/x#y"];
    private static readonly string StreamsUri = Ns.Streams;
    private static readonly string[] Prefixes = ["p", "q", "x-y", "a.b", "_z"];
    private static readonly string[] Names = ["message", "body", "thread", "active", "origin-id", "x", "item", "a.b", "c-d", "_e", "f1"];
    private static readonly string[] AttributeNames = ["id", "type", "to", "from", "node", "a", "b-c", "d.e", "_f"];

    private static readonly string[] TextPieces =
    [
        "hello", " ", "  ", "\t", "\n", "\r\n", "\r", "x\r\ny", "&lt;", "&gt;", "&amp;", "&apos;", "&quot;", "'", "\"", ">", "]", "]]", "]]&gt;",
        "&#65;", "&#x42;", "&#x1F600;", "&#10;", "&#xD;", "&#9;", "&#13;&#10;", "&#xE9;", "&#0065;", "é", "Grüße", "今晚见", "🙂", "— –", "\u00A0", "/", "=", "?", "!",
    ];

    private readonly Random _random = new(seed);

    /// <summary>One top-level element, as the bytes of a stream after <see cref="XmppStreamParserTestKit.ClientHeader"/>.</summary>
    public string Stanza()
    {
        var builder = new StringBuilder();
        Element(builder, depth: 0, declared: new Dictionary<string, string> { ["stream"] = StreamsUri });
        return builder.ToString();
    }

    private void Element(StringBuilder builder, int depth, Dictionary<string, string> declared)
    {
        var scope = new Dictionary<string, string>(declared);
        var attributes = new List<string>();
        var used = new HashSet<string>();

        // Declarations first or anywhere among the attributes: Namespaces in XML allows both.
        if (_random.Next(3) == 0)
        {
            attributes.Add($"xmlns{Eq()}{Quoted(_random.Next(8) == 0 ? string.Empty : Pick(Uris))}");
        }

        int prefixes = _random.Next(4) == 0 ? _random.Next(1, 3) : 0;
        for (int i = 0; i < prefixes; i++)
        {
            string prefix = Pick(Prefixes);
            if (used.Add("xmlns:" + prefix))
            {
                string uri = Pick(Uris);
                attributes.Add($"xmlns:{prefix}{Eq()}{Quoted(uri)}");
                scope[prefix] = uri;
            }
        }

        // Namespaces in XML §6.3: attributes are unique by expanded name, so two prefixes for one URI count as one.
        int count = _random.Next(0, 5);
        for (int i = 0; i < count; i++)
        {
            string local = Pick(AttributeNames);
            string name = local;
            string key = local;
            if (_random.Next(6) == 0)
            {
                string prefix = Pick([.. scope.Keys]);
                name = $"{prefix}:{local}";
                key = $"{{{scope[prefix]}}}{local}";
            }

            if (used.Add(key))
            {
                attributes.Add($"{name}{Eq()}{Quoted(Text(attribute: true))}");
            }
        }

        if (_random.Next(5) == 0 && used.Add("xml:lang"))
        {
            attributes.Add($"xml:lang{Eq()}{Quoted(Pick(["en", "de-CH", "zh-Hans", ""]))}");
        }

        Shuffle(attributes);
        string qualified = _random.Next(5) == 0 ? $"{Pick([.. scope.Keys])}:{Pick(Names)}" : Pick(Names);
        builder.Append('<').Append(qualified);
        foreach (string attribute in attributes)
        {
            builder.Append(Whitespace(minimum: 1)).Append(attribute);
        }

        builder.Append(Whitespace(minimum: 0));
        int shape = _random.Next(6);
        if (shape == 0)
        {
            builder.Append("/>");
            return;
        }

        builder.Append('>');
        if (shape > 1)
        {
            int parts = _random.Next(0, 5);
            for (int i = 0; i < parts; i++)
            {
                switch (_random.Next(depth < 4 ? 4 : 2))
                {
                    case 0:
                        builder.Append(Text(attribute: false));
                        break;
                    case 1:
                        builder.Append("<![CDATA[").Append(Pick(["", "a < b && c > d", "]]", "] ]>", "&amp; stays", "日本😀", "x\r\ny", "<message/>"])).Append("]]>");
                        break;
                    default:
                        Element(builder, depth + 1, scope);
                        break;
                }
            }
        }

        builder.Append("</").Append(qualified).Append(Whitespace(minimum: 0)).Append('>');
    }

    private string Text(bool attribute)
    {
        var builder = new StringBuilder();
        int pieces = _random.Next(0, 6);
        for (int i = 0; i < pieces; i++)
        {
            string piece = Pick(TextPieces);
            // "]]>" is forbidden in character data only; in an attribute value it is plain text.
            if (!attribute && piece == "]]" && _random.Next(2) == 0)
            {
                piece = "]]&gt;";
            }

            builder.Append(piece);
        }

        string text = builder.ToString();
        return attribute ? text : text.Replace("]]>", "]]&gt;", StringComparison.Ordinal);
    }

    private string Quoted(string value)
    {
        // The quote used must not appear raw inside; the other one may.
        bool apostrophe = _random.Next(2) == 0;
        return apostrophe
            ? $"'{value.Replace("'", "&apos;", StringComparison.Ordinal)}'"
            : $"\"{value.Replace("\"", "&quot;", StringComparison.Ordinal)}\"";
    }

    private string Eq() => $"{Whitespace(0, rare: true)}={Whitespace(0, rare: true)}";

    private string Whitespace(int minimum, bool rare = false)
    {
        int extra = rare ? (_random.Next(6) == 0 ? 1 : 0) : (_random.Next(4) == 0 ? _random.Next(1, 3) : 0);
        var builder = new StringBuilder();
        for (int i = 0; i < minimum + extra; i++)
        {
            builder.Append(Pick([" ", " ", " ", "\t", "\n", "\r\n"]));
        }

        return builder.ToString();
    }

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    private void Shuffle(List<string> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = _random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
