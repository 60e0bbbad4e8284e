using System.Buffers;
using System.IO.Pipelines;
using System.Xml.Linq;
using Gateway.Xmpp;
using Gateway.Xmpp.Protocol;
using static Gateway.Tests.Protocol.XmppStreamParserTestKit;

namespace Gateway.Tests.Protocol;

[Trait("Tier", "Unit")]
public sealed class XmppStreamParserTests
{
    private static readonly XNamespace Client = Ns.Client;
    private static readonly XNamespace Streams = Ns.Streams;

    // Server-to-client after SASL: declaration, header, features, bind result, keepalives, a stanza with multi-byte
    // UTF-8, entities, CDATA and extensions, a presence, an SM request, close.
    private static readonly string RealisticStream =
        "<?xml version='1.0' encoding='UTF-8'?>" + ClientHeader +
        $"<stream:features><bind xmlns='{Ns.Bind}'/><sm xmlns='{Ns.StreamManagement}'/></stream:features>" +
        $"<iq type='result' id='bind_1'><bind xmlns='{Ns.Bind}'><jid>juliet@im.example.com/balcony</jid></bind></iq>" +
        " \n \r\n\t " +
        "<message from='romeo@example.net/orchard' to='juliet@im.example.com/balcony' type='chat' id='m1' xml:lang='fr'>" +
        "<body>héllo 😀 日本 &lt;3 &amp; &#x1F600; &quot;</body>" +
        $"<x:data xmlns:x='urn:example:data' x:kind=\"a>b/>\">v</x:data>" +
        $"<request xmlns='{Ns.Receipts}'/>" +
        "<note><![CDATA[ if (a < b && c > d) ]] ]> ]]></note>" +
        "</message>" +
        " " +
        $"<presence from='romeo@example.net/orchard'><c xmlns='{Ns.Caps}' hash='sha-1' node='n' ver='v='/></presence>" +
        $"<r xmlns='{Ns.StreamManagement}'/>" +
        "\n\n" +
        "</stream:stream>";

    private static readonly List<string> RealisticEvents =
        Rendered(FeedWhole(new XmppStreamParser(), Utf8(RealisticStream)));

    public static TheoryData<int> Seeds => [1, 2, 3, 7, 42, 1234, 99999];

    [Fact]
    public void TryRead_RealisticStreamWhole_YieldsHeaderElementsAndEnd()
    {
        List<StreamEvent> events = FeedWhole(new XmppStreamParser(), Utf8(RealisticStream));

        Assert.Equal(7, events.Count);
        StreamHeader header = Assert.IsType<StreamHeaderEvent>(events[0]).Header;
        Assert.Equal(
            new StreamHeader("im.example.com", "juliet@im.example.com", "++TR84Sm6A3hnt3Q065SnAbbk3Y=", "1.0", "en", Ns.Client),
            header);

        XElement features = Assert.IsType<StreamElementEvent>(events[1]).Element;
        Assert.Equal(Streams + "features", features.Name);
        Assert.Equal([XName.Get("bind", Ns.Bind), XName.Get("sm", Ns.StreamManagement)], features.Elements().Select(e => e.Name));

        XElement iq = Assert.IsType<StreamElementEvent>(events[2]).Element;
        Assert.Equal(Client + "iq", iq.Name);
        Assert.Equal("juliet@im.example.com/balcony", iq.Element(XName.Get("bind", Ns.Bind))?.Element(XName.Get("jid", Ns.Bind))?.Value);

        XElement message = Assert.IsType<StreamElementEvent>(events[3]).Element;
        Assert.Equal(Client + "message", message.Name);
        Assert.Equal("fr", message.Attribute(XNamespace.Xml + "lang")?.Value);
        Assert.Equal("héllo 😀 日本 <3 & 😀 \"", message.Element(Client + "body")?.Value);
        XElement data = Assert.Single(message.Elements(XName.Get("data", "urn:example:data")));
        Assert.Equal("a>b/>", data.Attribute(XName.Get("kind", "urn:example:data"))?.Value);
        Assert.NotNull(message.Element(XName.Get("request", Ns.Receipts)));
        Assert.Equal(" if (a < b && c > d) ]] ]> ", message.Element(Client + "note")?.Value);

        XElement presence = Assert.IsType<StreamElementEvent>(events[4]).Element;
        Assert.Equal(Client + "presence", presence.Name);
        Assert.Equal("v=", presence.Element(XName.Get("c", Ns.Caps))?.Attribute("ver")?.Value);

        Assert.Equal(XName.Get("r", Ns.StreamManagement), Assert.IsType<StreamElementEvent>(events[5]).Element.Name);
        Assert.IsType<StreamEndEvent>(events[6]);
    }

    [Fact]
    public void TryRead_RealisticStreamByteByByte_SameEventsAsWhole()
    {
        List<StreamEvent> events = FeedByteByByte(new XmppStreamParser(), Utf8(RealisticStream));

        Assert.Equal(RealisticEvents, Rendered(events));
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void TryRead_RealisticStreamRandomChunks_SameEventsAsWhole(int seed)
    {
        List<StreamEvent> events = Feed(new XmppStreamParser(), Utf8(RealisticStream), RandomChunks(seed));

        Assert.Equal(RealisticEvents, Rendered(events));
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void TryRead_RealisticStreamAsOneMultiSegmentSequence_SameEventsAsWhole(int seed)
    {
        var parser = new XmppStreamParser();
        var events = new List<StreamEvent>();

        FeedOne(parser, Segmented(Utf8(RealisticStream), RandomChunks(seed, maxChunk: 16)), events);

        Assert.Equal(RealisticEvents, Rendered(events));
    }

    [Fact]
    public void TryRead_RealisticStreamSplitAtEveryOffset_SameEventsAsWhole()
    {
        byte[] data = Utf8(RealisticStream);
        for (int split = 1; split < data.Length; split++)
        {
            List<StreamEvent> events = Feed(new XmppStreamParser(), data, [split]);

            Assert.Equal(RealisticEvents, Rendered(events));
        }
    }

    [Fact]
    public async Task TryRead_ThroughPipeLikeStyleGuide_SameEventsAsWhole()
    {
        CancellationToken cancellationToken = TestContext.Current.CancellationToken;
        var pipe = new Pipe();
        var parser = new XmppStreamParser();
        var events = new List<StreamEvent>();
        byte[] data = Utf8(RealisticStream);
        using IEnumerator<int> chunks = RandomChunks(5, maxChunk: 40).GetEnumerator();

        for (int offset = 0; offset < data.Length;)
        {
            chunks.MoveNext();
            int count = Math.Min(chunks.Current, data.Length - offset);
            await pipe.Writer.WriteAsync(data.AsMemory(offset, count), cancellationToken);
            offset += count;

            ReadResult result = await pipe.Reader.ReadAsync(cancellationToken);
            var reader = new SequenceReader<byte>(result.Buffer);
            while (parser.TryRead(ref reader, out StreamEvent? streamEvent))
            {
                events.Add(streamEvent);
            }

            pipe.Reader.AdvanceTo(reader.Position, result.Buffer.End);
        }

        Assert.Equal(RealisticEvents, Rendered(events));
    }

    [Fact]
    public void TryRead_SeveralStanzasInOneRead_ReturnsOneAtATimeAndStopsRightAfterIt()
    {
        var parser = new XmppStreamParser();
        FeedWhole(parser, Utf8(ClientHeader));
        string[] stanzas = ["<message id='1'><body>a</body></message>", "<presence/>", "<iq type='get' id='2'><ping xmlns='urn:xmpp:ping'/></iq>"];
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(Utf8(string.Concat(stanzas) + "<message id='partial'>")));

        long expectedConsumed = 0;
        foreach (string stanza in stanzas)
        {
            Assert.True(parser.TryRead(ref reader, out StreamEvent? streamEvent));
            expectedConsumed += Utf8(stanza).Length;
            Assert.Equal(expectedConsumed, reader.Consumed);
            Assert.Equal(XElement.Parse(stanza).Name.LocalName, Assert.IsType<StreamElementEvent>(streamEvent).Element.Name.LocalName);
        }

        Assert.False(parser.TryRead(ref reader, out StreamEvent? none));
        Assert.Null(none);
        Assert.True(reader.End);
    }

    [Fact]
    public void TryRead_ElementFollowedByTlsBytes_LeavesThemUnconsumed()
    {
        // RFC 6120 §5.4.2.3: after <proceed/> the next bytes are the TLS handshake; the parser must not touch them.
        var parser = new XmppStreamParser();
        FeedWhole(parser, Utf8(ClientHeader));
        byte[] proceed = Utf8($"<proceed xmlns='{Ns.Tls}'/>");
        byte[] tls = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, (byte)'<', 0xFF];
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>([.. proceed, .. tls]));

        Assert.True(parser.TryRead(ref reader, out StreamEvent? streamEvent));

        Assert.Equal(XName.Get("proceed", Ns.Tls), Assert.IsType<StreamElementEvent>(streamEvent).Element.Name);
        Assert.Equal(tls.Length, reader.Remaining);
    }

    [Theory]
    [InlineData("<message><body>héllo 😀 日本</body></message>", "héllo 😀 日本")]
    [InlineData("<message><body a='😀日本é'>héllo 😀 日本</body></message>", "héllo 😀 日本")]
    [InlineData("<message><body><![CDATA[日本😀]]></body></message>", "日本😀")]
    public void TryRead_MultiByteCharacterSplitAtEveryOffset_TextIntact(string stanza, string expectedBody)
    {
        byte[] data = Utf8(ClientHeader + stanza);
        for (int split = 1; split < data.Length; split++)
        {
            List<StreamEvent> events = Feed(new XmppStreamParser(), data, [split]);

            Assert.Equal(2, events.Count);
            XElement message = Assert.IsType<StreamElementEvent>(events[1]).Element;
            Assert.Equal(expectedBody, message.Element(Client + "body")?.Value);
            if (message.Element(Client + "body")?.Attribute("a") is { } attribute)
            {
                Assert.Equal("😀日本é", attribute.Value);
            }
        }
    }

    [Theory]
    [InlineData("<body><![CDATA[a < b > c]]></body>", "a < b > c")]
    [InlineData("<body><![CDATA[<message></body></stream:stream>]]></body>", "<message></body></stream:stream>")]
    [InlineData("<body><![CDATA[a]b]]c]]]></body>", "a]b]]c]")]
    [InlineData("<body><![CDATA[x]><message> ] ]> ]]></body>", "x]><message> ] ]> ")]
    [InlineData("<body><![CDATA[x]]]]><![CDATA[>y]]></body>", "x]]>y")]
    [InlineData("<body><![CDATA[]]></body>", "")]
    [InlineData("<body>1 &gt; 0 &amp;&amp; 0 &lt; 1 &apos;&#65;&#x42;</body>", "1 > 0 && 0 < 1 'AB")]
    [InlineData("<body> </body>", " ")]
    public void TryRead_TextWithMarkupCharacters_KeepsText(string body, string expected)
    {
        byte[] data = Utf8(ClientHeader + "<message>" + body + "</message><presence/>");

        foreach (List<StreamEvent> events in new[] { FeedWhole(new XmppStreamParser(), data), FeedByteByByte(new XmppStreamParser(), data) })
        {
            Assert.Equal(3, events.Count);
            Assert.Equal(expected, Assert.IsType<StreamElementEvent>(events[1]).Element.Element(Client + "body")?.Value);
            Assert.Equal(Client + "presence", Assert.IsType<StreamElementEvent>(events[2]).Element.Name);
        }
    }

    [Theory]
    [InlineData("<message id=\"a>b\"/>", "a>b")]
    [InlineData("<message id='a>b'/>", "a>b")]
    [InlineData("<message id=\"a/>b\"/>", "a/>b")]
    [InlineData("<message id='a/>b'/>", "a/>b")]
    [InlineData("<message id=\"it's />\"></message>", "it's />")]
    [InlineData("<message id='say \"/>\"'></message>", "say \"/>\"")]
    [InlineData("<message id = '/' ></message>", "/")]
    [InlineData("<message id='&lt;&gt;&quot;'/>", "<>\"")]
    public void TryRead_AttributeValueWithTagCharacters_KeepsValue(string stanza, string expectedId)
    {
        byte[] data = Utf8(ClientHeader + stanza + "<presence/>");

        foreach (List<StreamEvent> events in new[] { FeedWhole(new XmppStreamParser(), data), FeedByteByByte(new XmppStreamParser(), data) })
        {
            Assert.Equal(3, events.Count);
            Assert.Equal(expectedId, Assert.IsType<StreamElementEvent>(events[1]).Element.Attribute("id")?.Value);
            Assert.Equal(Client + "presence", Assert.IsType<StreamElementEvent>(events[2]).Element.Name);
        }
    }

    [Theory]
    [InlineData("<presence/>", 0)]
    [InlineData("<presence />", 0)]
    [InlineData("<presence\n/>", 0)]
    [InlineData("<iq type='result' id='x'/>", 0)]
    [InlineData("<message><active xmlns='http://jabber.org/protocol/chatstates'/><b/><c></c></message>", 3)]
    public void TryRead_SelfClosingElements_CompleteAtTheirSlash(string stanza, int expectedChildren)
    {
        byte[] data = Utf8(ClientHeader + stanza + "<r/>");

        foreach (List<StreamEvent> events in new[] { FeedWhole(new XmppStreamParser(), data), FeedByteByByte(new XmppStreamParser(), data) })
        {
            Assert.Equal(3, events.Count);
            Assert.Equal(expectedChildren, Assert.IsType<StreamElementEvent>(events[1]).Element.Elements().Count());
            Assert.Equal(Client + "r", Assert.IsType<StreamElementEvent>(events[2]).Element.Name);
        }
    }

    [Theory]
    [InlineData("<message/>", "{jabber:client}message")]
    [InlineData("<stream:features/>", "{http://etherx.jabber.org/streams}features")]
    [InlineData("<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>", "{http://etherx.jabber.org/streams}error")]
    [InlineData("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>", "{urn:ietf:params:xml:ns:xmpp-sasl}success")]
    [InlineData("<sasl:success xmlns:sasl='urn:ietf:params:xml:ns:xmpp-sasl'/>", "{urn:ietf:params:xml:ns:xmpp-sasl}success")]
    [InlineData("<iq xmlns='jabber:server'/>", "{jabber:server}iq")]
    public void TryRead_TopLevelElement_NameResolvedAgainstStreamHeader(string element, string expectedName)
    {
        List<StreamEvent> events = FeedWhole(new XmppStreamParser(), Utf8(ClientHeader + element));

        Assert.Equal(XName.Get(expectedName), Assert.IsType<StreamElementEvent>(events[1]).Element.Name);
    }

    [Fact]
    public void TryRead_NamespacesInsideStanza_PreservedExactly()
    {
        string stanza =
            "<message xml:lang='de'>" +
            "<body xml:lang='en'>hi</body>" +
            "<event xmlns='http://jabber.org/protocol/pubsub#event'><items node='n'><item id='1'/></items></event>" +
            "<d:delay xmlns:d='urn:xmpp:delay' d:stamp='2002-09-10T23:08:25Z'><d:inner/><plain/></d:delay>" +
            "<x xmlns=''><y/></x>" +
            "</message>";

        XElement message = Assert.IsType<StreamElementEvent>(FeedWhole(new XmppStreamParser(), Utf8(ClientHeader + stanza))[1]).Element;

        Assert.Equal("de", message.Attribute(XNamespace.Xml + "lang")?.Value);
        Assert.Equal("en", message.Element(Client + "body")?.Attribute(XNamespace.Xml + "lang")?.Value);
        XNamespace pubsub = "http://jabber.org/protocol/pubsub#event";
        Assert.NotNull(message.Element(pubsub + "event")?.Element(pubsub + "items")?.Element(pubsub + "item"));
        XNamespace delayNs = Ns.Delay;
        XElement delay = Assert.Single(message.Elements(delayNs + "delay"));
        Assert.Equal("2002-09-10T23:08:25Z", delay.Attribute(delayNs + "stamp")?.Value);
        Assert.Equal("d", delay.GetPrefixOfNamespace(delayNs));
        Assert.NotNull(delay.Element(delayNs + "inner"));
        Assert.NotNull(delay.Element(Client + "plain"));
        Assert.NotNull(message.Element("x")?.Element("y"));
    }

    [Fact]
    public void TryRead_NamespaceDeclarationsOfOneStanza_DoNotLeakIntoTheNext()
    {
        var parser = new XmppStreamParser();
        List<StreamEvent> events = FeedWhole(parser, Utf8(ClientHeader + "<message xmlns='urn:other' xmlns:p='urn:p'><p:x/></message><message/>"));

        Assert.Equal(XName.Get("message", "urn:other"), Assert.IsType<StreamElementEvent>(events[1]).Element.Name);
        Assert.Equal(Client + "message", Assert.IsType<StreamElementEvent>(events[2]).Element.Name);
        XmppProtocolException ex = Assert.Throws<XmppProtocolException>(() => FeedWhole(parser, Utf8("<message><p:x/></message>")));
        Assert.Equal(StreamErrorCondition.NotWellFormed, ex.Condition);
    }

    [Fact]
    public void TryRead_ManyStanzasPastNameTableRenewal_KeepsResolvingNamespaces()
    {
        var parser = new XmppStreamParser();
        FeedWhole(parser, Utf8(ClientHeader));
        string padding = new('x', 1000);

        for (int i = 0; i < 6000; i++)
        {
            List<StreamEvent> events = FeedWhole(parser, Utf8($"<message id='{i}'><e{i} xmlns='urn:x:{i}'/><stream:x/><body>{padding}</body></message>"));

            XElement message = Assert.IsType<StreamElementEvent>(Assert.Single(events)).Element;
            Assert.Equal(Client + "message", message.Name);
            Assert.Equal(XName.Get($"e{i}", $"urn:x:{i}"), message.Elements().First().Name);
            Assert.NotNull(message.Element(Streams + "x"));
        }
    }

    [Theory]
    [InlineData("<?xml version='1.0'?>", "stream", "stream")]
    [InlineData("<?xml version=\"1.0\" encoding=\"utf-8\" standalone='yes' ?>\n", "stream", "stream")]
    [InlineData("\r\n ", "s", "s")]
    [InlineData("", "", "")]
    public void TryRead_HeaderVariants_ParsedWithItsPrefix(string prolog, string prefix, string endPrefix)
    {
        string qualified = prefix.Length == 0 ? "stream" : $"{prefix}:stream";
        string streamDeclaration = prefix.Length == 0 ? $"xmlns='{Ns.Streams}'" : $"xmlns:{prefix}='{Ns.Streams}' xmlns='{Ns.Client}'";
        string features = prefix.Length == 0 ? "<features/>" : $"<{prefix}:features/>";
        string endTag = endPrefix.Length == 0 ? "</stream >" : $"</{endPrefix}:stream\n>";
        byte[] data = Utf8($"{prolog}<{qualified} {streamDeclaration} to=\"example.com\" version='1.0'>{features}<message xmlns='{Ns.Client}'/>{endTag}");

        foreach (List<StreamEvent> events in new[] { FeedWhole(new XmppStreamParser(), data), FeedByteByByte(new XmppStreamParser(), data) })
        {
            Assert.Equal(4, events.Count);
            StreamHeader header = Assert.IsType<StreamHeaderEvent>(events[0]).Header;
            Assert.Equal("example.com", header.To);
            Assert.Equal("1.0", header.Version);
            Assert.Null(header.From);
            Assert.Equal(prefix.Length == 0 ? Ns.Streams : Ns.Client, header.ContentNamespace);
            Assert.Equal(Streams + "features", Assert.IsType<StreamElementEvent>(events[1]).Element.Name);
            Assert.Equal(Client + "message", Assert.IsType<StreamElementEvent>(events[2]).Element.Name);
            Assert.IsType<StreamEndEvent>(events[3]);
        }
    }

    [Fact]
    public void TryRead_HeaderWithoutDefaultNamespace_ContentNamespaceEmpty()
    {
        List<StreamEvent> events = FeedWhole(new XmppStreamParser(), Utf8($"<stream:stream xmlns:stream='{Ns.Streams}'><message/>"));

        Assert.Equal(string.Empty, Assert.IsType<StreamHeaderEvent>(events[0]).Header.ContentNamespace);
        Assert.Equal(XName.Get("message"), Assert.IsType<StreamElementEvent>(events[1]).Element.Name);
    }

    [Fact]
    public void TryRead_HeaderAttributesWithEntities_Decoded()
    {
        StreamHeader header = Assert.IsType<StreamHeaderEvent>(Assert.Single(FeedWhole(
            new XmppStreamParser(),
            Utf8($"<stream:stream xmlns:stream='{Ns.Streams}' xmlns='{Ns.Client}' id='a&amp;b&#x3E;' from=\"x'y\">")))).Header;

        Assert.Equal("a&b>", header.Id);
        Assert.Equal("x'y", header.From);
    }

    [Fact]
    public void TryRead_SelfClosingHeader_YieldsHeaderThenEnd()
    {
        var parser = new XmppStreamParser();
        List<StreamEvent> events = FeedWhole(parser, Utf8($"<stream:stream xmlns:stream='{Ns.Streams}' xmlns='{Ns.Client}'/>"));

        Assert.Equal(2, events.Count);
        Assert.IsType<StreamHeaderEvent>(events[0]);
        Assert.IsType<StreamEndEvent>(events[1]);
    }

    [Fact]
    public void TryRead_StreamEnd_YieldsEndAndAcceptsOnlyWhitespaceAfter()
    {
        var parser = new XmppStreamParser();
        List<StreamEvent> events = FeedWhole(parser, Utf8(ClientHeader + "<presence/></stream:stream>"));

        Assert.IsType<StreamEndEvent>(events[^1]);
        Assert.Empty(FeedWhole(parser, Utf8(" \r\n")));
        XmppProtocolException ex = Assert.Throws<XmppProtocolException>(() => FeedWhole(parser, Utf8("<message/>")));
        Assert.Equal(StreamErrorCondition.NotWellFormed, ex.Condition);
    }

    [Fact]
    public void TryRead_WhitespaceKeepalivesOnly_NoEventsAndNothingBuffered()
    {
        var parser = new XmppStreamParser(maxStanzaBytes: 64);
        FeedWhole(parser, Utf8(ClientHeader));

        for (int i = 0; i < 1000; i++)
        {
            Assert.Empty(FeedWhole(parser, Utf8(" \n\t\r ")));
        }

        Assert.Single(FeedWhole(parser, Utf8("<presence/>")));
    }

    [Fact]
    [Trait("Spec", "RFC 6120 §6.4.6")]
    public void Reset_AfterSaslSuccess_ParsesNewHeaderFromTheSameRead()
    {
        var parser = new XmppStreamParser();
        FeedWhole(parser, Utf8(ClientHeader + $"<stream:features><mechanisms xmlns='{Ns.Sasl}'><mechanism>PLAIN</mechanism></mechanisms></stream:features>"));
        string restart =
            $"<success xmlns='{Ns.Sasl}'/>" +
            $"<?xml version='1.0'?><stream:stream xmlns='{Ns.Client}' xmlns:stream='{Ns.Streams}' id='second' version='1.0'>" +
            $"<stream:features><bind xmlns='{Ns.Bind}'/></stream:features>";
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(Utf8(restart)));

        Assert.True(parser.TryRead(ref reader, out StreamEvent? success));
        Assert.Equal(XName.Get("success", Ns.Sasl), Assert.IsType<StreamElementEvent>(success).Element.Name);
        parser.Reset();
        Assert.True(parser.TryRead(ref reader, out StreamEvent? header));
        Assert.True(parser.TryRead(ref reader, out StreamEvent? features));

        Assert.Equal("second", Assert.IsType<StreamHeaderEvent>(header).Header.Id);
        Assert.Equal(XName.Get("bind", Ns.Bind), Assert.IsType<StreamElementEvent>(features).Element.Elements().Single().Name);
        Assert.True(reader.End);
    }

    [Fact]
    public void Reset_WithDifferentPrefix_UsesTheNewHeaderNamespaces()
    {
        var parser = new XmppStreamParser();
        FeedWhole(parser, Utf8(ClientHeader + "<message>"));
        parser.Reset();

        List<StreamEvent> events = FeedWhole(parser, Utf8($"<s:stream xmlns:s='{Ns.Streams}' xmlns='jabber:server'><s:features/><iq/></s:stream>"));

        Assert.Equal("jabber:server", Assert.IsType<StreamHeaderEvent>(events[0]).Header.ContentNamespace);
        Assert.Equal(Streams + "features", Assert.IsType<StreamElementEvent>(events[1]).Element.Name);
        Assert.Equal(XName.Get("iq", "jabber:server"), Assert.IsType<StreamElementEvent>(events[2]).Element.Name);
        Assert.IsType<StreamEndEvent>(events[3]);
    }

    [Fact]
    public void Reset_AfterProtocolError_ParserUsableAgain()
    {
        var parser = new XmppStreamParser();
        Assert.Throws<XmppProtocolException>(() => FeedWhole(parser, Utf8(ClientHeader + "<!-- x -->")));
        Assert.Throws<InvalidOperationException>(() => FeedWhole(parser, Utf8("<presence/>")));

        parser.Reset();

        Assert.Equal(2, FeedWhole(parser, Utf8(ClientHeader + "<presence/>")).Count);
    }

    [Fact]
    public void TryRead_EmptyInput_ReturnsFalse()
    {
        var parser = new XmppStreamParser();
        var reader = new SequenceReader<byte>(ReadOnlySequence<byte>.Empty);

        Assert.False(parser.TryRead(ref reader, out StreamEvent? streamEvent));
        Assert.Null(streamEvent);
    }

    [Theory]
    [InlineData(3, 64)]
    [InlineData(1024, 0)]
    public void Constructor_LimitsTooSmall_Throws(int maxStanzaBytes, int maxDepth)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new XmppStreamParser(maxStanzaBytes, maxDepth));
    }
}
