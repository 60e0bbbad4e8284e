using System.Text;
using System.Xml.Linq;
using Gateway.Xmpp;
using Gateway.Xmpp.Protocol;
using static Gateway.Tests.Protocol.FastPathTestKit;
using static Gateway.Tests.Protocol.XmppStreamParserTestKit;

namespace Gateway.Tests.Protocol.Stanzas;

/// <summary>
/// Bytes → stream parser (fast path) → <see cref="StanzaCodec"/> against the naive route: the same bytes through
/// <see cref="XElement.Parse(string)"/> and the codec as it was before (<see cref="LegacyStanzaCodec"/>). The records
/// must be the same field by field, payload trees included, and refusals must say the same.
/// </summary>
[Trait("Tier", "Unit")]
public sealed class StanzaCodecDifferentialTests
{
    public static TheoryData<string> Stanzas => new()
    {
        "<message type='chat' id='m1' to='juliet@capulet.lit/balcony' from='romeo@montague.lit/orchard' xml:lang='en'><body>See you at 8? Grüße aus Köln — 今晚见 🙂</body><thread>ffd7</thread><active xmlns='http://jabber.org/protocol/chatstates'/><origin-id xmlns='urn:xmpp:sid:0' id='o1'/></message>",
        "<message to='bob@example.com' xml:lang='de'><body xml:lang='en'>hi</body><body>hallo</body><body xml:lang='DE'>nochmal</body><subject>s &amp; t</subject><thread parent='p0'>t1</thread><thread>t2</thread></message>",
        "<message type='error' id='e1' from='example.com'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>gone</text><app xmlns='urn:example:app'/></error></message>",
        "<message type='groupchat' from='room@muc.example.com/nick'><body>a\r\nb\tc</body><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' role='participant'/></x></message>",
        "<message type='bogus'><body><![CDATA[<b>bold</b>]]></body></message>",
        "<message><body/><subject></subject><thread/></message>",
        "<message>text at the top<body>b</body>more text</message>",
        "<message from='JULIET@Capulet.LIT/Balcony'/>",
        "<message to='example.com.' from='[2001:DB8:0::1]/res'/>",
        "<presence from='a@b/c'><show>dnd</show><status>meeting</status><priority> -5 </priority><c xmlns='http://jabber.org/protocol/caps' node='n' ver='v=' hash='sha-1'/></presence>",
        "<presence type='unavailable'><status xml:lang='fr'>parti</status><status>gone</status><show>bogus</show><show>xa</show><priority>300</priority><priority>7</priority></presence>",
        "<presence type='error'><error type='modify'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>",
        "<presence type='subscribe' to='carol@example.com'/>",
        "<iq type='get' id='1' to='example.com'><ping xmlns='urn:xmpp:ping'/></iq>",
        "<iq type='set' id='2'><query xmlns='jabber:iq:roster'><item jid='a@b' name='A'><group>G</group></item></query></iq>",
        "<iq type='result' id='3'/>",
        "<iq type='result' id='4'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>juliet@im.example.com/balcony</jid></bind></iq>",
        "<iq type='error' id='5'><query xmlns='urn:example:q'/><error type='wait' by='svc'><resource-constraint xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
        "<iq type='error' id='6'><error><redirect xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>xmpp:other@example.com</redirect></error></iq>",
        "<iq type='get' id='7'/>",
        "<iq type='get' id='8'><a xmlns='x'/><b xmlns='x'/></iq>",
        "<iq type='get'><a xmlns='x'/></iq>",
        "<iq type='fetch' id='9'><a xmlns='x'/></iq>",
        "<presence type='online'/>",
        "<message to='a@b@c'/>",
        "<message from='@example.com'/>",
        "<message to='x@y/'/>",
        "<message xmlns='jabber:server'/>",
        "<stream:features/>",
    };

    [Theory]
    [MemberData(nameof(Stanzas))]
    public void TryParse_FromTheStreamParser_SameRecordAsXElementParseAndTheLegacyCodec(string stanza)
    {
        AssertSameRecord(stanza);
    }

    [Fact]
    public void TryParse_RandomMessagesAndPayloads_SameRecordAsXElementParseAndTheLegacyCodec()
    {
        string[] kinds = ["message", "presence", "iq"];
        string[] types = ["chat", "groupchat", "normal", "error", "get", "set", "result", "unavailable", "subscribe", "bogus"];
        string[] jids = ["juliet@capulet.lit/balcony", "romeo@montague.lit", "example.com", "ROMEO@Montague.Lit/Orchard", "bad@@jid", "x@y/z/w"];
        string[] children = ["<body>{0}</body>", "<body xml:lang='de'>{0}</body>", "<subject>{0}</subject>", "<thread parent='p'>{0}</thread>", "<show>away</show>", "<status>{0}</status>", "<priority>{0}</priority>", "<priority>-3</priority>"];
        var random = new Random(1206);
        for (int seed = 0; seed < 400; seed++)
        {
            var generator = new StanzaGenerator(seed);
            string kind = kinds[random.Next(kinds.Length)];
            var builder = new StringBuilder($"<{kind}");
            if (random.Next(3) > 0) builder.Append($" type='{types[random.Next(types.Length)]}'");
            if (random.Next(3) > 0) builder.Append($" id='i{seed}'");
            if (random.Next(2) > 0) builder.Append($" to='{jids[random.Next(jids.Length)]}'");
            if (random.Next(2) > 0) builder.Append($" from='{jids[random.Next(jids.Length)]}'");
            if (random.Next(3) == 0) builder.Append(" xml:lang='de'");
            builder.Append('>');
            int count = random.Next(0, 5);
            for (int i = 0; i < count; i++)
            {
                builder.Append(random.Next(2) == 0
                    ? string.Format(System.Globalization.CultureInfo.InvariantCulture, children[random.Next(children.Length)], random.Next(3) == 0 ? "7" : $"v&amp;{seed}")
                    : generator.Stanza());
            }

            builder.Append($"</{kind}>");
            AssertSameRecord(builder.ToString());
        }
    }

    private static void AssertSameRecord(string stanza)
    {
        List<StreamEvent> events = FeedWhole(new XmppStreamParser(), Utf8(ClientHeader + stanza));
        XElement fromStream = Assert.IsType<StreamElementEvent>(events[1]).Element;
        // The naive route: the stanza alone, in jabber:client as in the stream, through XElement.Parse (keeping
        // whitespace, as the stream parser does).
        XElement naive = XElement.Parse($"<wrapper xmlns='{Ns.Client}' xmlns:stream='{Ns.Streams}'>{stanza}</wrapper>", LoadOptions.PreserveWhitespace)
            .Elements().Single();
        Assert.Equal(Dump(naive), Dump(fromStream));

        bool legacy = LegacyStanzaCodec.TryParse(naive, out Stanza? expected, out string? expectedError);
        bool current = StanzaCodec.TryParse(fromStream, out Stanza? actual, out string? actualError);

        Assert.True(legacy == current, $"Legacy {(legacy ? "accepts" : "refuses: " + expectedError)}, current {(current ? "accepts" : "refuses: " + actualError)}: {stanza}");
        Assert.Equal(expectedError, actualError);
        Assert.Equal(Describe(expected), Describe(actual));
    }

    // Every field of a record, payload and error trees included, as text that differs whenever the records differ.
    private static string Describe(Stanza? stanza)
    {
        if (stanza is null)
        {
            return "(none)";
        }

        var builder = new StringBuilder()
            .Append(stanza.GetType().Name)
            .Append(" to=").Append(stanza.To?.ToString() ?? "-")
            .Append(" from=").Append(stanza.From?.ToString() ?? "-")
            .Append(" id=").Append(stanza.Id ?? "-")
            .Append(" lang=").Append(stanza.Language ?? "-");
        switch (stanza)
        {
            case Message m:
                builder.Append($" type={m.Type} body=[{m.Body}] subject=[{m.Subject}] thread=[{m.Thread}] parent=[{m.ParentThread}]");
                break;
            case Presence p:
                builder.Append($" type={p.Type} show={p.Show} status=[{p.Status}] priority={p.Priority}");
                break;
            case Iq iq:
                builder.Append($" type={iq.Type}");
                break;
        }

        if (stanza.Error is { } error)
        {
            builder.Append($" error={error.Type}/{error.Condition} text=[{error.Text}] by=[{error.By}] redirect=[{error.RedirectUri}] app=");
            builder.Append(error.ApplicationCondition is null ? "-" : Dump(error.ApplicationCondition));
        }

        builder.Append(" payload=").Append(stanza.Payload.Length);
        foreach (XElement payload in stanza.Payload)
        {
            builder.Append('\n').Append(Dump(payload));
        }

        return builder.ToString();
    }
}
