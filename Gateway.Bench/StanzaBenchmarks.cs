using System.Buffers;
using System.Text;
using System.Xml.Linq;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Gateway.Xmpp;
using Gateway.Xmpp.Protocol;

namespace Gateway.Bench;

/// <summary>
/// The client's per-stanza hot paths for a typical chat message: bytes from the socket to a <see cref="Message"/>,
/// and a <see cref="Message"/> to bytes for the socket. Each category has a naive <see cref="XElement"/> baseline
/// measured in the same run, so the Ratio column compares like with like on the same machine.
/// </summary>
/// <remarks>Public and not sealed: BenchmarkDotNet generates a class that derives from it.</remarks>
[Config(typeof(BenchConfig))]
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class StanzaBenchmarks
{
    /// <summary>Stanzas per parse invocation; OperationsPerInvoke makes every reported figure per stanza.</summary>
    public const int Batch = 1000;

    private const string Parse = "Parse";
    private const string Serialize = "Serialize";

    // PipeReader hands out segments of about this size, so stanzas regularly straddle a segment boundary.
    private const int SegmentSize = 4096;

    private static readonly XName OriginIdName = XName.Get("origin-id", Ns.StanzaId);
    private static readonly XName ActiveName = XName.Get("active", ChatMessages.ChatStatesNamespace);

    private byte[] _bytes = [];
    private Range[] _ranges = [];
    private ReadOnlySequence<byte> _wire;
    private XmppStreamParser _parser = new();
    private XmppStreamParser _referenceParser = new(fastPath: false);
    private StanzaSerializer _serializer = new();
    private Message _message = new();

    [GlobalSetup]
    public void Setup()
    {
        (_bytes, _ranges) = ChatMessages.Batch(Batch);
        _wire = BufferSegment.Split(_bytes, SegmentSize);

        _parser = StartStream(new XmppStreamParser());
        _referenceParser = StartStream(new XmppStreamParser(fastPath: false));

        _serializer = new StanzaSerializer();
        VerifyParsePaths();
    }

    // ---- Parse: UTF-8 bytes of 1000 stanzas -> 1000 typed Message records ----

    /// <summary>Naive: each stanza's bytes decoded to a string, <see cref="XElement.Parse(string)"/>, then the codec.
    /// It is handed the stanza boundaries for free; a real client would still have to find them in the stream.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    [BenchmarkCategory(Parse)]
    public Message? XElementParse()
    {
        Message? last = null;
        foreach (var range in _ranges)
        {
            string xml = Encoding.UTF8.GetString(_bytes.AsSpan(range));
            last = (Message)StanzaCodec.Parse(XElement.Parse(xml));
        }

        return last;
    }

    /// <summary>Ours: the incremental stream parser frames and parses each stanza, then the codec.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    [BenchmarkCategory(Parse)]
    public Message? StreamParser()
    {
        var reader = new SequenceReader<byte>(_wire);
        Message? last = null;
        while (_parser.TryRead(ref reader, out var streamEvent))
        {
            last = (Message)StanzaCodec.Parse(((StreamElementEvent)streamEvent).Element);
        }

        return last;
    }

    /// <summary>The same as <see cref="StreamParser"/> with the fast path switched off: the byte scanner and one
    /// <see cref="System.Xml.XmlReader"/> per stanza, as every stanza was parsed before the fast path. It still runs
    /// for whatever the fast path declines.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    [BenchmarkCategory(Parse)]
    public Message? StreamParserReferencePath()
    {
        var reader = new SequenceReader<byte>(_wire);
        Message? last = null;
        while (_referenceParser.TryRead(ref reader, out var streamEvent))
        {
            last = (Message)StanzaCodec.Parse(((StreamElementEvent)streamEvent).Element);
        }

        return last;
    }

    /// <summary>Breakdown of <see cref="StreamParser"/>: framing and <see cref="XElement"/> only, no codec.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    [BenchmarkCategory(Parse)]
    public XElement? StreamParserElementOnly()
    {
        var reader = new SequenceReader<byte>(_wire);
        XElement? last = null;
        while (_parser.TryRead(ref reader, out var streamEvent))
        {
            last = ((StreamElementEvent)streamEvent).Element;
        }

        return last;
    }

    // ---- Serialize: one Message -> UTF-8 bytes ----

    /// <summary>Naive: build the tree, format it to a string, encode the string.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory(Serialize)]
    public byte[] XElementToString() =>
        Encoding.UTF8.GetBytes(StanzaCodec.ToElement(_message).ToString(SaveOptions.DisableFormatting));

    /// <summary>Ours: XmlWriter straight into the connection's reused buffer.</summary>
    [Benchmark]
    [BenchmarkCategory(Serialize)]
    public ReadOnlyMemory<byte> StanzaSerializer() => _serializer.Serialize(_message);

    private static XmppStreamParser StartStream(XmppStreamParser parser)
    {
        var header = new SequenceReader<byte>(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(ChatMessages.StreamHeader)));
        if (!parser.TryRead(ref header, out var headerEvent) || headerEvent is not StreamHeaderEvent)
        {
            throw new InvalidOperationException("The stream header did not parse as a StreamHeaderEvent.");
        }

        return parser;
    }

    // Runs every measured path once and throws if one returns something wrong, so a broken path cannot be timed.
    private void VerifyParsePaths()
    {
        var fromStream = new List<Message>(Batch);
        var reader = new SequenceReader<byte>(_wire);
        while (_parser.TryRead(ref reader, out var streamEvent))
        {
            fromStream.Add((Message)StanzaCodec.Parse(((StreamElementEvent)streamEvent).Element));
        }

        Check(fromStream.Count == Batch, $"the stream parser returned {fromStream.Count} stanzas, expected {Batch}");
        Check(reader.End, "the stream parser left bytes unread");
        // What is timed as the fast path must be the fast path: not one stanza may have gone to the XmlReader.
        Check(
            _parser.FastPathElements == Batch && _parser.ReferencePathElements == 0,
            $"the fast path built {_parser.FastPathElements} of {Batch} stanzas, the XmlReader {_parser.ReferencePathElements}");

        var fromReference = new List<Message>(Batch);
        reader = new SequenceReader<byte>(_wire);
        while (_referenceParser.TryRead(ref reader, out var streamEvent))
        {
            fromReference.Add((Message)StanzaCodec.Parse(((StreamElementEvent)streamEvent).Element));
        }

        Check(fromReference.Count == Batch && _referenceParser.ReferencePathElements == Batch, "the reference path did not parse every stanza itself");
        for (int i = 0; i < Batch; i++)
        {
            CheckMessage(fromStream[i], i, "StreamParser");
            CheckMessage(fromReference[i], i, "StreamParserReferencePath");
            Check(
                XNode.DeepEquals(fromStream[i].Payload[0].Parent, fromReference[i].Payload[0].Parent),
                $"stanza {i}: the fast path and the reference path built different trees");
            var naive = (Message)StanzaCodec.Parse(XElement.Parse(Encoding.UTF8.GetString(_bytes.AsSpan(_ranges[i]))));
            CheckMessage(naive, i, "XElementParse");
        }

        Check(XElementParse() is { } lastNaive && lastNaive.Id == ChatMessages.Id(Batch - 1), "XElementParse() did not end on the last stanza");
        Check(StreamParser() is { } lastOurs && lastOurs.Id == ChatMessages.Id(Batch - 1), "StreamParser() did not end on the last stanza");
        Check(
            StreamParserReferencePath() is { } lastReference && lastReference.Id == ChatMessages.Id(Batch - 1),
            "StreamParserReferencePath() did not end on the last stanza");
        Check(
            StreamParserElementOnly() is { } lastElement && (string?)lastElement.Attribute("id") == ChatMessages.Id(Batch - 1),
            "StreamParserElementOnly() did not end on the last stanza");

        // Serialise what the parser produced, as a gateway forwarding a message would.
        _message = fromStream[0];
        var ours = XElement.Parse(Encoding.UTF8.GetString(StanzaSerializer().Span));
        var naiveBytes = XElementToString();
        var baseline = XElement.Parse(Encoding.UTF8.GetString(naiveBytes));
        CheckMessage((Message)StanzaCodec.Parse(ours), 0, "StanzaSerializer round trip");
        CheckMessage((Message)StanzaCodec.Parse(baseline), 0, "XElementToString round trip");
        Check(XNode.DeepEquals(ours, baseline), "StanzaSerializer and XElementToString produce different XML");
    }

    private static void CheckMessage(Message message, int index, string path)
    {
        string where = $"{path}, stanza {index}";
        Check(message.Type == MessageType.Chat, $"{where}: type {message.Type}");
        Check(message.Id == ChatMessages.Id(index), $"{where}: id '{message.Id}'");
        Check(message.To == Jid.Parse(ChatMessages.To), $"{where}: to '{message.To}'");
        Check(message.From == Jid.Parse(ChatMessages.From), $"{where}: from '{message.From}'");
        Check(message.Language == ChatMessages.Language, $"{where}: xml:lang '{message.Language}'");
        Check(message.Body == ChatMessages.Body, $"{where}: body '{message.Body}'");
        Check(message.Thread == ChatMessages.Thread, $"{where}: thread '{message.Thread}'");
        Check(message.Payload.Length == 2, $"{where}: {message.Payload.Length} payload elements, expected 2");
        Check(message.FindPayload(ActiveName) is not null, $"{where}: no XEP-0085 <active/>");
        Check(
            (string?)message.FindPayload(OriginIdName)?.Attribute("id") == ChatMessages.OriginId(index),
            $"{where}: XEP-0359 origin-id missing or wrong");
    }

    private static void Check(bool condition, string failure)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"Benchmark self-check failed: {failure}.");
        }
    }
}
