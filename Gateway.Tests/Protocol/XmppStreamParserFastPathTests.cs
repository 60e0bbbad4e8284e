using System.Buffers;
using System.Text;
using System.Xml.Linq;
using Gateway.Xmpp;
using Gateway.Xmpp.Protocol;
using static Gateway.Tests.Protocol.FastPathTestKit;
using static Gateway.Tests.Protocol.XmppStreamParserTestKit;

namespace Gateway.Tests.Protocol;

/// <summary>
/// The fast path (<see cref="Utf8ElementParser"/>) against the reference path (byte scanner + XmlReader): same trees,
/// same refusals, same stream errors, whatever the input and however it is split.
/// </summary>
[Trait("Tier", "Unit")]
public sealed class XmppStreamParserFastPathTests
{
    private const string Chat =
        "<message xmlns='jabber:client' type='chat' id='m000001-7LqR2wXz' to='juliet@capulet.lit/balcony' from='romeo@montague.lit/orchard' xml:lang='en'>"
        + "<body>See you at 8? Grüße aus Köln — 今晚见 🙂</body><thread>ffd7076498744578d10edabfe7f4a866</thread>"
        + "<active xmlns='http://jabber.org/protocol/chatstates'/><origin-id xmlns='urn:xmpp:sid:0' id='00000001-5c1e-4f7b-9a2d-3e8f6b1c0a94'/></message>";

    // Each of these must be built by the fast path, and identically to the reference path.
    public static TheoryData<string, string> FastPathCases => new()
    {
        { "typical chat message", Chat },
        { "inherited jabber:client", "<message type='chat'><body>hi</body></message>" },
        { "stream prefix from the header", "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>" },
        { "empty element vs empty content", "<iq type='result' id='1'><a/><b></b><c>\n</c></iq>" },
        { "predefined entities in text", "<message><body>&lt;3 &amp; &gt; &apos; &quot;</body></message>" },
        { "character references", "<message><body>&#65;&#x42;&#x1F600;&#0065;&#xe9;&#xE9;&#10;&#13;&#9;</body></message>" },
        { "entities and references in attributes", "<message id='&lt;&amp;&gt;&apos;&quot;&#65;&#x1F600;&#10;&#13;&#9;'/>" },
        { "attribute whitespace normalisation", "<message id='a\tb\nc\r\nd\re  f'/>" },
        { "line ends in text", "<message><body>a\r\nb\rc\nd\r\r\ne\r</body></message>" },
        { "'>' and ']' in text", "<message><body>a > b ] c ]] d ]]&gt; e</body></message>" },
        { "']]>' and '>' in an attribute", "<message id='a]]>b' type=\"x>y/z\"/>" },
        { "quotes of the other kind", "<message id=\"it's\" type='say \"hi\"'/>" },
        { "whitespace inside tags", "<message \n\t id = 'x'\r\n type\t=\t\"chat\" ><body >x</body\n></message \t>" },
        { "CDATA, text around it", "<message><body>a<![CDATA[<b> & ]] ]>\r\n]]>c<![CDATA[]]><![CDATA[d]]></body></message>" },
        { "whitespace-only text between children", "<message>\n  <body>x</body>\n  <thread>t</thread>\n</message>" },
        { "multi-byte UTF-8 everywhere", "<message id='é日本😀'><body xml:lang='zh'>今晚见 🙂 Grüße</body></message>" },
        { "C1 controls and other valid non-ASCII", "<message><body>\u0085\u00A0\u2028\uFFFD\U0010FFFD</body></message>" },
        { "default namespace changes and undeclaration", "<message><x xmlns='urn:a'><y/><z xmlns=''><w/></z></x><body/></message>" },
        { "prefixed elements and attributes", "<message xmlns:p='urn:p'><p:x p:a='1' a='2'><p:y/><z/></p:x></message>" },
        { "prefix declared after its use on the same element", "<p:x a='1' p:b='2' xmlns:p='urn:p'/>" },
        { "same prefix rebound deeper", "<message xmlns:p='urn:1'><p:a xmlns:p='urn:2'><p:b/></p:a><p:c/></message>" },
        { "two prefixes for one namespace", "<message xmlns:p='urn:1' xmlns:q='urn:1'><p:a q:x='1'/></message>" },
        { "namespace URI with references", "<message xmlns:p='urn:a&amp;b&#x41;'><p:x/></message>" },
        { "xml:lang on several levels", "<message xml:lang='de'><body xml:lang='en'>hi</body><body>hallo</body></message>" },
        { "empty attribute values", "<message id='' type=\"\"><body/></message>" },
        { "names with digits, dots, dashes, underscores", "<message><a.b-c_d1 x.y-z_1='v'/><_e/></message>" },
        { "other namespace at top level", "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>dGVzdA==</success>" },
        { "prefixed top-level element", "<sasl:success xmlns:sasl='urn:ietf:params:xml:ns:xmpp-sasl'/>" },
        { "jabber:server at top level", "<iq xmlns='jabber:server' type='get' id='1'><ping xmlns='urn:xmpp:ping'/></iq>" },
        { "xmlns on a child equal to the parent's", "<message xmlns='jabber:client'><body xmlns='jabber:client'>x</body></message>" },
    };

    // Legal, but left to the reference path on purpose; the result must be the same all the same.
    public static TheoryData<string, string> ReferencePathCases => new()
    {
        { "non-ASCII element name", "<message><données/></message>" },
        { "non-ASCII attribute name", "<message été='1'/>" },
        { "xml:space", "<message><body xml:space='preserve'>  </body></message>" },
        { "other xml: attribute", "<message xml:base='http://example.com/'/>" },
        { "xml prefix declared explicitly", "<message xmlns:xml='http://www.w3.org/XML/1998/namespace'/>" },
        { "more attributes than the fast path takes", "<message " + string.Concat(Enumerable.Range(0, Utf8ElementParser.MaxAttributes + 1).Select(i => $"a{i}='{i}' ")) + "/>" },
        { "more prefixes than the fast path takes", "<message " + string.Concat(Enumerable.Range(0, Utf8ElementParser.MaxBindings + 1).Select(i => $"xmlns:p{i}='urn:{i}' ")) + "/>" },
        { "character reference with many leading zeros", "<message><body>&#x000000041;</body></message>" },
        { "element with the reserved xmlns prefix, which XmlReader lets through", "<message><xmlns:x/></message>" },
    };

    // Every rule the fast path must not bend: each input is refused, with the same stream error as the reference path.
    public static TheoryData<string, string, StreamErrorCondition> MalformedCases => new()
    {
        { "mismatched end tag", "<message><body>x</bod></message>", StreamErrorCondition.NotWellFormed },
        { "end tag with another prefix", "<message xmlns:p='urn:p' xmlns:q='urn:p'><p:x></q:x></message>", StreamErrorCondition.NotWellFormed },
        { "space after '</'", "<message><body>x</ body></message>", StreamErrorCondition.NotWellFormed },
        { "duplicate attribute", "<message id='1' id='2'/>", StreamErrorCondition.NotWellFormed },
        { "duplicate expanded attribute name", "<message xmlns:p='urn:p' xmlns:q='urn:p' p:a='1' q:a='2'/>", StreamErrorCondition.NotWellFormed },
        { "duplicate namespace declaration", "<message xmlns:p='urn:p' xmlns:p='urn:q'/>", StreamErrorCondition.NotWellFormed },
        { "duplicate default namespace declaration", "<message xmlns='urn:p' xmlns='urn:q'/>", StreamErrorCondition.NotWellFormed },
        { "no whitespace between attributes", "<message id='1'type='chat'/>", StreamErrorCondition.NotWellFormed },
        { "attribute without value", "<message id/>", StreamErrorCondition.NotWellFormed },
        { "unquoted attribute value", "<message id=1/>", StreamErrorCondition.NotWellFormed },
        { "'<' in an attribute value", "<message id='a<b'/>", StreamErrorCondition.NotWellFormed },
        { "'&' alone in an attribute value", "<message id='a&b'/>", StreamErrorCondition.NotWellFormed },
        { "'&' alone in text", "<message><body>a & b</body></message>", StreamErrorCondition.NotWellFormed },
        { "reference without ';'", "<message><body>&lt</body></message>", StreamErrorCondition.NotWellFormed },
        { "unknown entity", "<message><body>&nbsp;</body></message>", StreamErrorCondition.NotWellFormed },
        { "entity name in the wrong case", "<message><body>&LT;</body></message>", StreamErrorCondition.NotWellFormed },
        { "empty character reference", "<message><body>&#;</body></message>", StreamErrorCondition.NotWellFormed },
        { "empty hex character reference", "<message><body>&#x;</body></message>", StreamErrorCondition.NotWellFormed },
        { "uppercase X in a character reference", "<message><body>&#X41;</body></message>", StreamErrorCondition.NotWellFormed },
        { "hex digits in a decimal reference", "<message><body>&#4A;</body></message>", StreamErrorCondition.NotWellFormed },
        { "reference to NUL", "<message id='&#0;'/>", StreamErrorCondition.NotWellFormed },
        { "reference to a control character", "<message><body>&#x1F;</body></message>", StreamErrorCondition.NotWellFormed },
        { "reference to a surrogate", "<message><body>&#xD800;</body></message>", StreamErrorCondition.NotWellFormed },
        { "reference to U+FFFE", "<message><body>&#xFFFE;</body></message>", StreamErrorCondition.NotWellFormed },
        { "reference to U+FFFF", "<message id='&#65535;'/>", StreamErrorCondition.NotWellFormed },
        { "reference beyond U+10FFFF", "<message><body>&#x110000;</body></message>", StreamErrorCondition.NotWellFormed },
        { "control character in text", "<message><body>a\u0001b</body></message>", StreamErrorCondition.NotWellFormed },
        { "control character in an attribute", "<message id='a\u001Fb'/>", StreamErrorCondition.NotWellFormed },
        { "NUL in text", "<message><body>a\0b</body></message>", StreamErrorCondition.NotWellFormed },
        { "control character in CDATA", "<message><body><![CDATA[a\u0008b]]></body></message>", StreamErrorCondition.NotWellFormed },
        { "U+FFFE raw in text", "<message><body>a\uFFFEb</body></message>", StreamErrorCondition.NotWellFormed },
        { "U+FFFF raw in an attribute", "<message id='\uFFFF'/>", StreamErrorCondition.NotWellFormed },
        { "']]>' in text", "<message><body>a]]>b</body></message>", StreamErrorCondition.NotWellFormed },
        { "undeclared element prefix", "<message><p:x/></message>", StreamErrorCondition.NotWellFormed },
        { "undeclared attribute prefix", "<message p:a='1'/>", StreamErrorCondition.NotWellFormed },
        { "prefix declared on a sibling only", "<message><a xmlns:p='urn:p'/><p:b/></message>", StreamErrorCondition.NotWellFormed },
        { "empty prefixed declaration", "<message xmlns:p=''/>", StreamErrorCondition.NotWellFormed },
        { "xmlns prefix declared", "<message xmlns:xmlns='urn:x'/>", StreamErrorCondition.NotWellFormed },
        { "xml prefix bound elsewhere", "<message xmlns:xml='urn:x'/>", StreamErrorCondition.NotWellFormed },
        { "xml namespace bound to another prefix", "<message xmlns:p='http://www.w3.org/XML/1998/namespace'/>", StreamErrorCondition.NotWellFormed },
        { "xml namespace as the default", "<message xmlns='http://www.w3.org/XML/1998/namespace'/>", StreamErrorCondition.NotWellFormed },
        { "xmlns namespace bound", "<message xmlns:p='http://www.w3.org/2000/xmlns/'/>", StreamErrorCondition.NotWellFormed },
        { "two colons in a name", "<message><a:b:c xmlns:a='urn:a'/></message>", StreamErrorCondition.NotWellFormed },
        { "name starting with a colon", "<message><:a/></message>", StreamErrorCondition.NotWellFormed },
        { "name ending with a colon", "<message xmlns:a='urn:a'><a:/></message>", StreamErrorCondition.NotWellFormed },
        { "local name starting with a digit", "<message xmlns:a='urn:a'><a:1b/></message>", StreamErrorCondition.NotWellFormed },
        { "name starting with '-'", "<message><-a/></message>", StreamErrorCondition.NotWellFormed },
        { "'/' not followed by '>'", "<message/ >", StreamErrorCondition.NotWellFormed },
        { "stray '<' in text", "<message><body>a < b</body></message>", StreamErrorCondition.NotWellFormed },
        { "invalid UTF-8 in text", "<message><body>\u0000INVALID\u0000</body></message>", StreamErrorCondition.NotWellFormed },
        { "comment", "<message><!-- x --></message>", StreamErrorCondition.RestrictedXml },
        { "processing instruction", "<message><?pi x?></message>", StreamErrorCondition.RestrictedXml },
        { "DOCTYPE inside", "<message><!DOCTYPE x></message>", StreamErrorCondition.RestrictedXml },
        { "entity declaration inside", "<message><!ENTITY x 'y'></message>", StreamErrorCondition.RestrictedXml },
        { "lowercase cdata", "<message><![cdata[x]]></message>", StreamErrorCondition.RestrictedXml },
    };

    public static TheoryData<byte[]> InvalidUtf8 => new()
    {
        new byte[] { 0xC3 },                          // truncated 2-byte sequence
        new byte[] { 0xE6, 0x97 },                    // truncated 3-byte sequence
        new byte[] { 0xF0, 0x9F, 0x99 },              // truncated 4-byte sequence
        new byte[] { 0xC0, 0xBC },                    // overlong '<'
        new byte[] { 0xE0, 0x80, 0xBC },              // overlong, 3 bytes
        new byte[] { 0xED, 0xA0, 0x80 },              // UTF-16 surrogate
        new byte[] { 0xF4, 0x90, 0x80, 0x80 },        // beyond U+10FFFF
        new byte[] { 0x80 },                          // lone continuation byte
        new byte[] { 0xFF },
        new byte[] { 0xFE },
    };

    [Theory]
    [MemberData(nameof(FastPathCases))]
    public void TryRead_CommonConstructs_FastPathBuildsTheReferenceTree(string scenario, string stanza)
    {
        byte[] data = Utf8(ClientHeader + stanza + "<r xmlns='urn:xmpp:sm:3'/>");

        Outcome reference = AssertSameAsReference(data, seed: scenario.Length, scenario);

        Assert.Null(reference.Error);
        Outcome fast = RunWhole(data, fastPath: true);
        Assert.Equal(2, fast.FastPathElements);
        Assert.Equal(0, fast.ReferencePathElements);
    }

    [Theory]
    [MemberData(nameof(ReferencePathCases))]
    public void TryRead_RareConstructs_FallBackToTheReferencePathWithTheSameTree(string scenario, string stanza)
    {
        byte[] data = Utf8(ClientHeader + stanza + "<r xmlns='urn:xmpp:sm:3'/>");

        Outcome reference = AssertSameAsReference(data, seed: scenario.Length, scenario);

        Assert.Null(reference.Error);
        Outcome fast = RunWhole(data, fastPath: true);
        Assert.Equal(1, fast.FastPathElements);
        Assert.Equal(1, fast.ReferencePathElements);
    }

    [Theory]
    [MemberData(nameof(MalformedCases))]
    public void TryRead_Malformed_RefusedWithTheReferenceStreamError(string scenario, string stanza, StreamErrorCondition expected)
    {
        string input = stanza.Replace("\u0000INVALID\u0000", "\uFFFD", StringComparison.Ordinal);
        byte[] data = Utf8(ClientHeader + input);
        if (input != stanza)
        {
            // A lone continuation byte where the replacement character was.
            int at = Encoding.UTF8.GetByteCount(ClientHeader + input[..input.IndexOf('\uFFFD', StringComparison.Ordinal)]);
            data = [.. data[..at], 0x80, .. data[(at + 3)..]];
        }

        Outcome reference = AssertSameAsReference(data, seed: scenario.Length, scenario);

        Assert.True(expected == reference.Error, $"{scenario}: expected {expected}, the reference path says {reference.Error}");
    }

    [Theory]
    [MemberData(nameof(InvalidUtf8))]
    [Trait("Spec", "RFC 6120 §11.6")]
    public void TryRead_InvalidUtf8InTextAttributeOrCData_RefusedLikeTheReference(byte[] invalid)
    {
        string[] templates = ["<message><body>a{0}b</body></message>", "<message id='a{0}b'/>", "<message><body><![CDATA[a{0}b]]></body></message>", "<message xmlns:p='urn:{0}'><p:x/></message>"];
        foreach (string template in templates)
        {
            string[] parts = template.Split("{0}");
            byte[] data = [.. Utf8(ClientHeader + parts[0]), .. invalid, .. Utf8(parts[1])];

            Outcome reference = AssertSameAsReference(data, seed: invalid.Length, $"{Convert.ToHexString(invalid)} in {template}");

            Assert.Equal(StreamErrorCondition.NotWellFormed, reference.Error);
        }
    }

    [Theory]
    [InlineData(64, true)]
    [InlineData(65, false)]
    public void TryRead_DepthLimit_SameAsReference(int depth, bool accepted)
    {
        string stanza = string.Concat(Enumerable.Repeat("<a>", depth)) + string.Concat(Enumerable.Repeat("</a>", depth));

        Outcome reference = AssertSameAsReference(Utf8(ClientHeader + stanza), seed: depth, $"depth {depth}");

        Assert.Equal(accepted ? null : StreamErrorCondition.PolicyViolation, reference.Error);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void TryRead_SizeLimit_FastPathRespectsItInOneSpanAndAcrossReads(int extra)
    {
        string stanza = "<message><body>" + new string('a', 300 + extra) + "</body></message>";
        int limit = Utf8(stanza).Length - extra;
        byte[] data = Utf8(ClientHeader + stanza + "<r/>");

        foreach (IEnumerable<int> chunks in new[] { new[] { data.Length }, [ClientHeader.Length + 100, data.Length], [ClientHeader.Length + 100, 100, data.Length] })
        {
            Outcome reference = Run(data, fastPath: false, chunks, maxStanzaBytes: limit);
            Outcome fast = Run(data, fastPath: true, chunks, maxStanzaBytes: limit);

            Assert.Equal(extra == 0 ? null : StreamErrorCondition.PolicyViolation, reference.Error);
            Assert.Equal(reference.Error, fast.Error);
            Assert.Equal(reference.Events, fast.Events);
        }
    }

    [Fact]
    public void TryRead_RandomStanzas_FastPathBuildsTheReferenceTree()
    {
        int fastBuilt = 0;
        for (int seed = 0; seed < 1500; seed++)
        {
            string stanza = new StanzaGenerator(seed).Stanza();
            byte[] data = Utf8(ClientHeader + stanza);

            Outcome reference = AssertSameAsReference(data, seed, $"seed {seed}: {stanza}", byteByByte: seed % 10 == 0);

            Assert.True(reference.Error is null, $"seed {seed}: the generator made something the reference refuses ({reference.Error}): {stanza}");
            fastBuilt += (int)RunWhole(data, fastPath: true).FastPathElements;
        }

        // The generator stays within what XMPP uses, and that is what the fast path is for: (almost) all of it.
        Assert.InRange(fastBuilt, 1400, 1500);
    }

    [Fact]
    public void TryRead_MutatedStanzas_FastPathNeverAcceptsWhatTheReferenceRefuses()
    {
        byte[] interesting = Utf8("<>/&;#x'\"=:]![- \r\n\tamp lt CDATA xmlns");
        byte[] invalid = [0x00, 0x01, 0x80, 0xC3, 0xED, 0xEF, 0xBF, 0xBE, 0xFF];
        var random = new Random(20261206);
        int refused = 0;
        for (int round = 0; round < 3000; round++)
        {
            var bytes = new List<byte>(Utf8(new StanzaGenerator(round).Stanza()));
            int mutations = random.Next(1, 4);
            for (int m = 0; m < mutations && bytes.Count > 0; m++)
            {
                int at = random.Next(bytes.Count);
                byte value = random.Next(4) == 0 ? invalid[random.Next(invalid.Length)] : interesting[random.Next(interesting.Length)];
                switch (random.Next(3))
                {
                    case 0: bytes[at] = value; break;
                    case 1: bytes.Insert(at, value); break;
                    default: bytes.RemoveAt(at); break;
                }
            }

            byte[] data = [.. Utf8(ClientHeader), .. bytes, .. Utf8("<r/>")];
            Outcome reference = AssertSameAsReference(data, round, $"round {round}: {Encoding.UTF8.GetString([.. bytes])}", byteByByte: round % 20 == 0);
            refused += reference.Error is null ? 0 : 1;
        }

        // Most mutations break something; the comparison above is only worth something if they do.
        Assert.InRange(refused, 1500, 3000);
    }

    [Fact]
    public void TryRead_StanzaStraddlingTwoReads_BuiltByTheFastPath()
    {
        byte[] data = Utf8(ClientHeader + Chat + Chat);
        int split = ClientHeader.Length + 200;

        Outcome fast = Run(data, fastPath: true, [split, data.Length]);

        Assert.Equal(3, fast.Events.Count);
        Assert.Equal(2, fast.FastPathElements);
        Assert.Equal(0, fast.ReferencePathElements);
        Assert.Equal(RunWhole(data, fastPath: false).Events, fast.Events);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(300)]
    [InlineData(2000)]
    public void TryRead_LongStanzaStraddlingTwoReads_BuiltByTheFastPath(int keptBytes)
    {
        // The second try first adds only part of the next read, then all of it: both steps must end in the same tree.
        string stanza = $"<message id='long'><body>{string.Concat(Enumerable.Repeat("Grüße 今晚见 🙂 &amp; ", 300))}</body></message>";
        byte[] data = Utf8(ClientHeader + stanza + "<r/>");
        int split = Utf8(ClientHeader).Length + keptBytes;

        Outcome fast = Run(data, fastPath: true, [split, data.Length]);

        Assert.Equal(Run(data, fastPath: false, [split, data.Length]).Events, fast.Events);
        Assert.Equal(3, fast.Events.Count);
        Assert.Equal(2, fast.FastPathElements);
        Assert.Equal(0, fast.ReferencePathElements);
    }

    [Fact]
    public void TryRead_StanzaAcrossThreeReads_ScannerTakesOverAndTheFastPathStillBuildsIt()
    {
        byte[] data = Utf8(ClientHeader + Chat);
        int first = ClientHeader.Length + 100;

        Outcome fast = Run(data, fastPath: true, [first, 100, data.Length]);

        Assert.Equal(RunWhole(data, fastPath: false).Events, fast.Events);
        Assert.Equal(1, fast.FastPathElements);
        Assert.Equal(0, fast.ReferencePathElements);
    }

    [Fact]
    public void TryRead_StraddlingElementFollowedByTlsBytes_ConsumesOnlyTheElement()
    {
        // RFC 6120 §5.4.3.3: after <proceed/> the TLS handshake follows; the second try at the element must leave it.
        var parser = new XmppStreamParser();
        FeedWhole(parser, Utf8(ClientHeader));
        byte[] proceed = Utf8($"<proceed xmlns='{Ns.Tls}'/>");
        byte[] tls = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, (byte)'<', 0xFF];
        var first = new SequenceReader<byte>(new ReadOnlySequence<byte>(proceed, 0, 10));
        Assert.False(parser.TryRead(ref first, out _));
        Assert.True(first.End);

        var second = new SequenceReader<byte>(new ReadOnlySequence<byte>([.. proceed[10..], .. tls]));
        Assert.True(parser.TryRead(ref second, out StreamEvent? streamEvent));

        Assert.Equal(XName.Get("proceed", Ns.Tls), Assert.IsType<StreamElementEvent>(streamEvent).Element.Name);
        Assert.Equal(tls.Length, second.Remaining);
        Assert.Equal(1, parser.FastPathElements);
    }

    [Fact]
    public void TryRead_ErrorInTheSecondHalfOfAStraddlingElement_RaisedWithTheReferenceCondition()
    {
        byte[] data = Utf8(ClientHeader + "<message><body>abc</body><!-- no --></message>");
        int split = ClientHeader.Length + 12;

        Outcome fast = Run(data, fastPath: true, [split, data.Length]);

        Assert.Equal(StreamErrorCondition.RestrictedXml, fast.Error);
        Assert.Equal(Run(data, fastPath: false, [split, data.Length]).Events, fast.Events);
    }

    [Fact]
    public void TryRead_NamespacesOfTheHeader_FollowAReset()
    {
        var parser = new XmppStreamParser();
        FeedWhole(parser, Utf8(ClientHeader));
        parser.Reset();

        List<StreamEvent> events = FeedWhole(parser, Utf8($"<s:stream xmlns:s='{Ns.Streams}' xmlns='jabber:server'><s:features/><iq/>"));

        Assert.Equal(XName.Get("features", Ns.Streams), Assert.IsType<StreamElementEvent>(events[1]).Element.Name);
        Assert.Equal(XName.Get("iq", "jabber:server"), Assert.IsType<StreamElementEvent>(events[2]).Element.Name);
        Assert.Equal(2, parser.FastPathElements);
        // "stream:" was the first header's prefix, not this one's.
        XmppProtocolException ex = Assert.Throws<XmppProtocolException>(() => FeedWhole(parser, Utf8("<stream:x/>")));
        Assert.Equal(StreamErrorCondition.NotWellFormed, ex.Condition);
    }

    [Fact]
    public void TryRead_ManyInventedNames_CachesStayCorrect()
    {
        // More distinct names, namespaces and values than the caches hold: every lookup must still be exact.
        var parser = new XmppStreamParser();
        FeedWhole(parser, Utf8(ClientHeader));
        for (int i = 0; i < 3000; i++)
        {
            string stanza = $"<message to='u{i % 700}@example.com' type='t{i % 300}'><e{i % 500} xmlns='urn:x:{i % 400}' a{i % 200}='v'/></message>";

            XElement message = Assert.IsType<StreamElementEvent>(Assert.Single(FeedWhole(parser, Utf8(stanza)))).Element;

            Assert.Equal($"u{i % 700}@example.com", message.Attribute("to")?.Value);
            Assert.Equal($"t{i % 300}", message.Attribute("type")?.Value);
            XElement child = Assert.Single(message.Elements());
            Assert.Equal(XName.Get($"e{i % 500}", $"urn:x:{i % 400}"), child.Name);
            Assert.Equal("v", child.Attribute($"a{i % 200}")?.Value);
        }

        Assert.Equal(3000, parser.FastPathElements);
    }
}
