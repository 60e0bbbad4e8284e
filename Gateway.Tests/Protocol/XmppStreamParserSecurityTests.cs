using System.Buffers;
using System.Text;
using Gateway.Xmpp;
using Gateway.Xmpp.Protocol;
using static Gateway.Tests.Protocol.XmppStreamParserTestKit;

namespace Gateway.Tests.Protocol;

[Trait("Tier", "Unit")]
public sealed class XmppStreamParserSecurityTests
{
    private const string BillionLaughsDtd =
        "<!DOCTYPE lolz [<!ENTITY lol \"lol\">" +
        "<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">" +
        "<!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">" +
        "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">" +
        "<!ENTITY lol9 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">]>";

    public static TheoryData<string, string> RestrictedInputs => new()
    {
        { "billion laughs before the header", "<?xml version='1.0'?>" + BillionLaughsDtd + ClientHeader + "<message><body>&lol9;</body></message>" },
        { "billion laughs inside the stream", ClientHeader + BillionLaughsDtd + "<message><body>&lol9;</body></message>" },
        { "DOCTYPE before the header", $"<!DOCTYPE stream:stream SYSTEM 'http://example.com/x.dtd'>{ClientHeader}" },
        { "comment before the header", "<!-- hi -->" + ClientHeader },
        { "comment after the declaration", "<?xml version='1.0'?><!-- hi -->" + ClientHeader },
        { "PI before the header", "<?php echo 1; ?>" + ClientHeader },
        { "xml-stylesheet PI", "<?xml-stylesheet href='a.xsl'?>" + ClientHeader },
        { "second XML declaration", "<?xml version='1.0'?> <?xml version='1.0'?>" + ClientHeader },
        { "comment at stream level", ClientHeader + "<presence/><!-- keepalive -->" },
        { "PI at stream level", ClientHeader + "<?xml version='1.0'?><presence/>" },
        { "comment inside a stanza", ClientHeader + "<message><body>a<!-- b -->c</body></message>" },
        { "PI inside a stanza", ClientHeader + "<message><?pi data?></message>" },
        { "entity declaration inside a stanza", ClientHeader + "<message><!ENTITY x 'y'></message>" },
        { "DOCTYPE inside a stanza", ClientHeader + "<message><!DOCTYPE x></message>" },
        { "lowercase cdata", ClientHeader + "<message><![cdata[x]]></message>" },
    };

    public static TheoryData<string, string> NotWellFormedInputs => new()
    {
        { "mismatched close tag", ClientHeader + "<message><body>x</message></body>" },
        { "'<' in a double-quoted attribute", ClientHeader + "<message id=\"a<b\"/>" },
        { "'<' in a single-quoted attribute", ClientHeader + "<message id='a<b'/>" },
        { "'<' in a header attribute", $"<stream:stream xmlns:stream='{Ns.Streams}' id='<'>" },
        { "'<' inside a tag", ClientHeader + "<message <body/>" },
        { "'<>' inside a stanza", ClientHeader + "<message><></message>" },
        { "'< ' at stream level", ClientHeader + "< presence/>" },
        { "'<' followed by a digit before the header", "<1stream>" },
        { "'/' not followed by '>'", ClientHeader + "<message / ><presence/>" },
        { "unquoted attribute", ClientHeader + "<message id=x/>" },
        { "duplicate attribute", ClientHeader + "<message id='1' id='2'/>" },
        { "character reference to NUL", ClientHeader + "<message><body>&#0;</body></message>" },
        { "control character", ClientHeader + "<message><body>\u0001</body></message>" },
        { "undefined entity", ClientHeader + "<message><body>&foo;</body></message>" },
        { "undeclared prefix in a stanza", ClientHeader + "<message><foo:bar/></message>" },
        { "']]>' in text", ClientHeader + "<message><body>]]></body></message>" },
        { "stray end tag at stream level", ClientHeader + "</message>" },
        { "wrong stream end tag", ClientHeader + "</stream:streams>" },
        { "stream end tag with the wrong prefix", ClientHeader + "</s:stream>" },
        { "text before the header", "hello" + ClientHeader },
        { "data after the stream end", ClientHeader + "</stream:stream><presence/>" },
        { "XML declaration without version", "<?xml?>" + ClientHeader },
        { "malformed declaration", "<?xml version?>" + ClientHeader },
        { "malformed header", "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' a>" },
    };

    [Theory]
    [MemberData(nameof(RestrictedInputs))]
    [Trait("Spec", "RFC 6120 §11.1")]
    public void TryRead_RestrictedXml_ThrowsRestrictedXml(string scenario, string input)
    {
        AssertFails(input, StreamErrorCondition.RestrictedXml, scenario);
    }

    [Theory]
    [MemberData(nameof(NotWellFormedInputs))]
    public void TryRead_MalformedXml_ThrowsNotWellFormed(string scenario, string input)
    {
        AssertFails(input, StreamErrorCondition.NotWellFormed, scenario);
    }

    [Theory]
    [InlineData("<stream:stream xmlns:stream='urn:not-streams' xmlns='jabber:client'>")]
    [InlineData("<stream:stream xmlns:stream='http://etherx.jabber.org/streams/' xmlns='jabber:client'>")]
    [InlineData("<stream:features xmlns:stream='http://etherx.jabber.org/streams'>")]
    [InlineData("<stream xmlns='jabber:client'>")]
    [InlineData("<html>")]
    [Trait("Spec", "RFC 6120 §4.9.3.10")]
    public void TryRead_WrongRoot_ThrowsInvalidNamespace(string header)
    {
        AssertFails(header, StreamErrorCondition.InvalidNamespace, header);
    }

    [Fact]
    [Trait("Spec", "RFC 6120 §4.9.3.2")]
    public void TryRead_HeaderPrefixNotDeclared_ThrowsBadNamespacePrefix()
    {
        AssertFails("<stream:stream xmlns='jabber:client' version='1.0'>", StreamErrorCondition.BadNamespacePrefix, "undeclared stream prefix");
    }

    [Theory]
    [InlineData("<?xml version='1.0' encoding='ISO-8859-1'?>")]
    [InlineData("<?xml version='1.0' encoding=\"UTF-16\"?>")]
    [InlineData("<?xml version='1.0' encoding='utf8'?>")]
    [Trait("Spec", "RFC 6120 §11.6")]
    public void TryRead_NonUtf8Declaration_ThrowsUnsupportedEncoding(string declaration)
    {
        AssertFails(declaration + ClientHeader, StreamErrorCondition.UnsupportedEncoding, declaration);
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFE, (byte)'<', 0 })]
    [InlineData(new byte[] { 0xFE, 0xFF, 0, (byte)'<' })]
    [InlineData(new byte[] { 0, (byte)'<', 0, (byte)'?' })]
    [Trait("Spec", "RFC 6120 §11.6")]
    public void TryRead_Utf16Stream_ThrowsUnsupportedEncoding(byte[] start)
    {
        XmppProtocolException ex = Assert.Throws<XmppProtocolException>(() => FeedWhole(new XmppStreamParser(), start));

        Assert.Equal(StreamErrorCondition.UnsupportedEncoding, ex.Condition);
    }

    [Theory]
    [InlineData(new byte[] { 0xC3 })]                    // truncated 2-byte sequence
    [InlineData(new byte[] { 0xE6, 0x97 })]              // truncated 3-byte sequence
    [InlineData(new byte[] { 0xC0, 0xBC })]              // overlong '<'
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })]        // UTF-16 surrogate
    [InlineData(new byte[] { 0xFF })]
    public void TryRead_InvalidUtf8InStanza_ThrowsNotWellFormed(byte[] invalid)
    {
        byte[] data = [.. Utf8(ClientHeader + "<message><body>"), .. invalid, .. Utf8("</body></message>")];

        XmppProtocolException ex = Assert.Throws<XmppProtocolException>(() => FeedWhole(new XmppStreamParser(), data));

        Assert.Equal(StreamErrorCondition.NotWellFormed, ex.Condition);
    }

    [Theory]
    [InlineData("hello")]
    [InlineData("<![CDATA[ ]]>")]
    public void TryRead_CharacterDataAtStreamLevel_ThrowsBadFormat(string data)
    {
        AssertFails(ClientHeader + "<presence/>" + data, StreamErrorCondition.BadFormat, data);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4096)]
    [InlineData(1024 * 1024)]
    [Trait("Spec", "RFC 6120 §13.12")]
    public void TryRead_TenMegabyteStanza_ThrowsPolicyViolationAtTheLimitWithoutBufferingMore(int chunkSize)
    {
        const int limit = 64 * 1024;
        var parser = new XmppStreamParser(maxStanzaBytes: limit);
        FeedWhole(parser, Utf8(ClientHeader));
        byte[] data = new byte[10 * 1024 * 1024];
        Utf8("<message><body>").CopyTo(data, 0);
        data.AsSpan(15).Fill((byte)'a');
        int fed = 0;
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();

        XmppProtocolException ex = Assert.Throws<XmppProtocolException>(() =>
        {
            for (; fed < data.Length; fed += chunkSize)
            {
                var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(data, fed, Math.Min(chunkSize, data.Length - fed)));
                while (parser.TryRead(ref reader, out _))
                {
                }
            }
        });

        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        Assert.Equal(StreamErrorCondition.PolicyViolation, ex.Condition);
        Assert.InRange(fed, limit - chunkSize, limit);
        // The buffer doubles from 4 KiB up to the limit and never beyond: 8+16+32+64 KiB, plus the exception.
        Assert.InRange(allocated, 0, 2 * limit);
    }

    [Fact]
    public void TryRead_TenMegabyteStanzaInOneSpan_ThrowsWithoutScanningPastTheLimit()
    {
        var parser = new XmppStreamParser(maxStanzaBytes: 1024);
        byte[] header = Utf8(ClientHeader);
        byte[] data = new byte[header.Length + (10 * 1024 * 1024)];
        header.CopyTo(data, 0);
        Utf8("<message><body>").CopyTo(data, header.Length);
        data.AsSpan(header.Length + 15).Fill((byte)'a');
        var sequence = new ReadOnlySequence<byte>(data);
        XmppProtocolException? caught = null;
        long consumedAtThrow = 0;

        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var reader = new SequenceReader<byte>(sequence);
        try
        {
            while (parser.TryRead(ref reader, out _))
            {
            }
        }
        catch (XmppProtocolException ex)
        {
            caught = ex;
            consumedAtThrow = reader.Consumed;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        Assert.Equal(StreamErrorCondition.PolicyViolation, caught?.Condition);
        Assert.Equal(header.Length, consumedAtThrow);
        Assert.InRange(allocated, 0, 64 * 1024);
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(1, false)]
    public void TryRead_StanzaAtTheLimit_AcceptedAndOneByteMoreRejected(int extra, bool accepted)
    {
        string stanza = "<message><body>" + new string('a', 100 + extra) + "</body></message>";
        int limit = Utf8(stanza).Length - extra;
        byte[] data = Utf8(ClientHeader + stanza);

        foreach (Func<XmppStreamParser, List<StreamEvent>> feed in new Func<XmppStreamParser, List<StreamEvent>>[] { p => FeedWhole(p, data), p => FeedByteByByte(p, data) })
        {
            var parser = new XmppStreamParser(maxStanzaBytes: limit);
            if (accepted)
            {
                Assert.Equal(2, feed(parser).Count);
            }
            else
            {
                Assert.Equal(StreamErrorCondition.PolicyViolation, Assert.Throws<XmppProtocolException>(() => feed(parser)).Condition);
            }
        }
    }

    [Fact]
    public void TryRead_HugeHeader_ThrowsPolicyViolation()
    {
        string header = $"<stream:stream xmlns:stream='{Ns.Streams}' xmlns='{Ns.Client}' id='{new string('x', XmppStreamParser.MaxHeaderBytes)}'>";

        AssertFails(header, StreamErrorCondition.PolicyViolation, "9 KiB header");
    }

    [Fact]
    public void TryRead_HugeDeclaration_ThrowsPolicyViolation()
    {
        AssertFails($"<?xml version='1.0' {new string(' ', XmppStreamParser.MaxHeaderBytes)}?>{ClientHeader}", StreamErrorCondition.PolicyViolation, "9 KiB declaration");
    }

    [Theory]
    [InlineData(64, true)]
    [InlineData(65, false)]
    [InlineData(10_000, false)]
    public void TryRead_NestingDepth_AcceptedUpToMaxDepth(int depth, bool accepted)
    {
        var stanza = new StringBuilder();
        for (int i = 0; i < depth; i++)
        {
            stanza.Append(i % 2 == 0 ? "<a x='1'>" : "<b/><b>");
        }

        for (int i = depth - 1; i >= 0; i--)
        {
            stanza.Append(i % 2 == 0 ? "</a>" : "</b>");
        }

        byte[] data = Utf8(ClientHeader + stanza);
        var parser = new XmppStreamParser(maxStanzaBytes: 1024 * 1024, maxDepth: 64);

        if (accepted)
        {
            Assert.Equal(2, FeedWhole(parser, data).Count);
        }
        else
        {
            Assert.Equal(StreamErrorCondition.PolicyViolation, Assert.Throws<XmppProtocolException>(() => FeedWhole(parser, data)).Condition);
        }
    }

    [Fact]
    public void TryRead_AfterProtocolError_ThrowsInvalidOperationUntilReset()
    {
        var parser = new XmppStreamParser();
        Assert.Throws<XmppProtocolException>(() => FeedWhole(parser, Utf8(ClientHeader + "<?pi?>")));

        Assert.Throws<InvalidOperationException>(() => FeedWhole(parser, Utf8("<presence/>")));
    }

    // Every refusal must happen whole and byte-by-byte: the decision may not depend on how the bytes arrive.
    private static void AssertFails(string input, StreamErrorCondition expected, string scenario)
    {
        byte[] data = Utf8(input);
        foreach (Func<XmppStreamParser, List<StreamEvent>> feed in new Func<XmppStreamParser, List<StreamEvent>>[] { p => FeedWhole(p, data), p => FeedByteByByte(p, data) })
        {
            XmppProtocolException ex = Assert.Throws<XmppProtocolException>(() => feed(new XmppStreamParser()));
            Assert.True(expected == ex.Condition, $"{scenario}: expected {expected}, got {ex.Condition} ({ex.Message})");
        }
    }
}
