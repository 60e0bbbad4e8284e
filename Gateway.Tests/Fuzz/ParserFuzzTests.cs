using System.Buffers;
using System.Text;
using Gateway.Xmpp;
using Gateway.Xmpp.Protocol;
using static Gateway.Tests.Protocol.XmppStreamParserTestKit;

namespace Gateway.Tests.Fuzz;

/// <summary>
/// Bounded fuzzing of the parsers that read what a peer sends: mutated streams into <see cref="XmppStreamParser"/> (and
/// the elements it returns into <see cref="StanzaCodec"/>), mutated addresses into <see cref="Jid"/>. Only typed
/// exceptions may come out, nothing may loop, and properties that hold for every input are checked (both parser paths
/// agree; a parsed JID re-parses to itself). CI runs a fixed number of inputs from fixed seeds, so a run is the same
/// everywhere; GATEWAY_FUZZ_ITERATIONS and GATEWAY_FUZZ_SEED run it longer or elsewhere locally.
/// </summary>
[Trait("Tier", "Unit")]
[Trait("Category", "Fuzz")]
public sealed class ParserFuzzTests
{
    private static readonly IReadOnlyList<byte[]> StreamCorpus =
    [
        Utf8(ClientHeader + "<message to='romeo@example.net' from='juliet@example.com/balcony' type='chat' id='m1' xml:lang='en'>" +
             "<body>Wherefore art thou, Romeo? &amp; &lt;3 &#x263A; \u00E9</body><thread>t1</thread>" +
             "<request xmlns='urn:xmpp:receipts'/><stanza-id xmlns='urn:xmpp:sid:0' id='s1' by='romeo@example.net'/></message></stream:stream>"),
        Utf8("<?xml version='1.0' encoding='UTF-8'?>" + ClientHeader + "<presence><show>away</show><status>gone</status><priority>5</priority>" +
             "<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='n' ver='v'/></presence><presence type='unavailable'/>"),
        Utf8(ClientHeader + "<iq type='get' id='p1' from='example.com'><ping xmlns='urn:xmpp:ping'/></iq>" +
             "<iq type='result' id='r1'><query xmlns='jabber:iq:roster' ver='v2'><item jid='a@b' subscription='both' name='A'><group>G</group></item></query></iq>"),
        Utf8(ClientHeader + "<stream:features><sm xmlns='urn:xmpp:sm:3'/><ver xmlns='urn:xmpp:features:rosterver'/>" +
             "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism></mechanisms></stream:features>" +
             "<r xmlns='urn:xmpp:sm:3'/><a xmlns='urn:xmpp:sm:3' h='12'/>"),
        Utf8(ClientHeader + "<message><body><![CDATA[<not markup> & ]] >]]></body><x:data xmlns:x='urn:x' x:attr=\"q'uote\">t<x:inner/></x:data></message>" +
             "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>Replaced</text></stream:error>"),
        Utf8(ClientHeader + "<message type='error' id='e1'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>" +
             "<message><result xmlns='urn:xmpp:mam:2' queryid='q' id='a1'><forwarded xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' stamp='2020-01-01T00:00:00Z'/>" +
             "<message xmlns='jabber:client' from='x@y/z' to='a@b'><body>archived</body></message></forwarded></result></message>"),
    ];

    private static readonly string[] JidCorpus =
    [
        "juliet@example.com/balcony", "user@xn--mnchen-3ya.de", "user@m\u00FCnchen.de/r", "[::1]", "a@192.0.2.1/x",
        "\u00C9LISE@EXAMPLE.com.", "\u03C0@example.com/foo bar", "foo@bar/baz@qux/quux", "x@[2001:db8::1]/r",
        "\uFF4Ajuliet@example\uFF0Ecom", "room@conference.example.org/nick", "example.com", "e\u0301@bu\u0308cher.example",
        "\u0939\u093F\u0928\u094D\u0926\u0940.\u092D\u093E\u0930\u0924", "juliet@xn--bcher-kva.example/\u265A",
    ];

    [Fact]
    [Trait("Spec", "RFC 6120 §4.9.3, §11")]
    public void XmppStreamParser_MutatedStreams_OnlyStreamErrorsAndBothPathsAgree()
    {
        var first = Mutator.Seed(0x5EED);
        var iterations = Mutator.Iterations(2_000);
        for (var i = 0; i < iterations; i++)
        {
            var mutator = new Mutator(first + i);
            var input = mutator.Next(StreamCorpus);
            var chunks = mutator.Chunks().Take(input.Length + 1).ToArray();

            var fast = Parse(new XmppStreamParser(fastPath: true), input, chunks, first + i);
            var reference = Parse(new XmppStreamParser(fastPath: false), input, [input.Length], first + i);

            Assert.True(
                reference.SequenceEqual(fast),
                $"Seed {first + i}: the fast path (chunked) and the reference path (whole) disagree on {Describe(input)}:\n" +
                $"fast:      {string.Join(" | ", fast)}\nreference: {string.Join(" | ", reference)}");
        }
    }

    [Fact]
    [Trait("Spec", "RFC 7622")]
    public void Jid_MutatedAddresses_OnlyJidFormatExceptionAndParsedFormsAreStable()
    {
        var corpus = JidCorpus.Select(Encoding.UTF8.GetBytes).ToArray();
        var first = Mutator.Seed(0x31D);
        var iterations = Mutator.Iterations(20_000);
        for (var i = 0; i < iterations; i++)
        {
            var mutator = new Mutator(first + i);
            var text = Encoding.UTF8.GetString(mutator.Next(corpus));
            if (mutator.Random.Next(4) == 0)
            {
                // A lone surrogate or any other UTF-16 unit, which the UTF-8 route cannot produce.
                text = text.Insert(mutator.Random.Next(text.Length + 1), ((char)mutator.Random.Next(0x10000)).ToString());
            }

            CheckJid(text, first + i);
        }
    }

    private static void CheckJid(string text, int seed)
    {
        bool valid;
        Jid? jid;
        string? error;
        try
        {
            valid = Jid.TryParse(text, out jid, out error);
        }
        catch (Exception ex)
        {
            Assert.Fail($"Seed {seed}: Jid.TryParse threw {ex.GetType().Name} for {Describe(text)}: {ex}");
            return;
        }

        if (!valid)
        {
            var thrown = Record.Exception(() => Jid.Parse(text));
            Assert.True(thrown is JidFormatException, $"Seed {seed}: Jid.Parse threw {thrown?.GetType().Name ?? "nothing"} for {Describe(text)}, TryParse said: {error}");
            Assert.Equal(error, thrown!.Message);
            return;
        }

        // Enforcement is idempotent (RFC 7622 §3.1): the normalised form parses to the same address, and so do its parts.
        var again = Jid.TryParse(jid!.ToString(), out var reparsed, out var reparseError);
        Assert.True(again, $"Seed {seed}: {Describe(text)} parsed to {Describe(jid.ToString())}, which does not parse: {reparseError}");
        Assert.Equal(jid, reparsed);
        Assert.Equal(jid.ToString(), reparsed!.ToString());
        Assert.Equal(jid.GetHashCode(), reparsed.GetHashCode());
        Assert.Equal(jid, Jid.Create(jid.Local, jid.Domain, jid.Resource));
        Assert.Equal(jid.Bare, Jid.Parse(jid.Bare.ToString()));
    }

    /// <summary>Feeds the input in the given reads; returns what came out, ending with the stream error or "incomplete".</summary>
    private static List<string> Parse(XmppStreamParser parser, byte[] input, IReadOnlyList<int> chunks, int seed)
    {
        var outcome = new List<string>();
        var offset = 0;
        var chunk = 0;
        while (offset < input.Length)
        {
            var count = Math.Min(chunks[Math.Min(chunk++, chunks.Count - 1)], input.Length - offset);
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(input, offset, count));
            try
            {
                while (parser.TryRead(ref reader, out var streamEvent))
                {
                    outcome.Add(Render(streamEvent));
                    if (streamEvent is StreamElementEvent { Element: var element } && StanzaCodec.IsStanza(element))
                    {
                        // The stanza codec reads what the stream parser let through: it may refuse, never throw.
                        StanzaCodec.TryParse(element, out _, out _);
                    }

                    // Every event consumes at least one byte, so more events than bytes means a loop.
                    Assert.True(outcome.Count <= input.Length + 1, $"Seed {seed}: the parser keeps returning events without consuming input: {Describe(input)}");
                }
            }
            catch (XmppProtocolException ex)
            {
                outcome.Add($"error {ex.Condition.ToWire()}");
                return outcome;
            }
            catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
            {
                Assert.Fail($"Seed {seed}: {ex.GetType().Name} instead of a stream error for {Describe(input)}: {ex}");
            }

            Assert.True(reader.End, $"Seed {seed}: TryRead returned false without consuming its input: {Describe(input)}");
            offset += count;
        }

        outcome.Add("incomplete");
        return outcome;
    }

    private static string Describe(byte[] input) => $"base64 {Convert.ToBase64String(input)}";

    private static string Describe(string text) =>
        "\"" + string.Concat(text.Select(c => c is >= ' ' and < '\u007F' ? c.ToString() : $"\\u{(int)c:X4}")) + "\"";
}
