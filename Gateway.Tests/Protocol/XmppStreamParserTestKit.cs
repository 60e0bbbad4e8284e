using System.Buffers;
using System.Text;
using System.Xml.Linq;
using Gateway.Xmpp.Protocol;

namespace Gateway.Tests.Protocol;

/// <summary>Feeds bytes to an <see cref="XmppStreamParser"/> the way a pipe reader would, and renders the events.</summary>
internal static class XmppStreamParserTestKit
{
    public static readonly string ClientHeader =
        $"<stream:stream xmlns='{Ns.Client}' xmlns:stream='{Ns.Streams}' from='im.example.com' " +
        "to='juliet@im.example.com' id='++TR84Sm6A3hnt3Q065SnAbbk3Y=' version='1.0' xml:lang='en'>";

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    public static string Render(StreamEvent streamEvent) => streamEvent switch
    {
        StreamHeaderEvent header => $"header {header.Header}",
        StreamElementEvent element => element.Element.ToString(SaveOptions.DisableFormatting),
        StreamEndEvent => "end",
        _ => throw new ArgumentOutOfRangeException(nameof(streamEvent)),
    };

    public static List<StreamEvent> FeedWhole(XmppStreamParser parser, byte[] data) => Feed(parser, data, [data.Length]);

    public static List<StreamEvent> FeedByteByByte(XmppStreamParser parser, byte[] data) => Feed(parser, data, Enumerable.Repeat(1, data.Length));

    /// <summary>One <see cref="SequenceReader{T}"/> per chunk, as successive pipe reads; leftovers are never re-presented.</summary>
    public static List<StreamEvent> Feed(XmppStreamParser parser, byte[] data, IEnumerable<int> chunkSizes)
    {
        var events = new List<StreamEvent>();
        int offset = 0;
        foreach (int size in chunkSizes)
        {
            if (offset >= data.Length)
            {
                break;
            }

            int count = Math.Min(size, data.Length - offset);
            FeedOne(parser, new ReadOnlySequence<byte>(data, offset, count), events);
            offset += count;
        }

        if (offset < data.Length)
        {
            FeedOne(parser, new ReadOnlySequence<byte>(data, offset, data.Length - offset), events);
        }

        return events;
    }

    public static void FeedOne(XmppStreamParser parser, ReadOnlySequence<byte> sequence, List<StreamEvent> events)
    {
        var reader = new SequenceReader<byte>(sequence);
        while (parser.TryRead(ref reader, out StreamEvent? streamEvent))
        {
            events.Add(streamEvent);
        }

        // The caller contract: false means everything was consumed.
        Assert.True(reader.End, "TryRead returned false without consuming all of its input.");
    }

    public static IEnumerable<int> RandomChunks(int seed, int maxChunk = 64)
    {
        var random = new Random(seed);
        while (true)
        {
            yield return random.Next(1, maxChunk + 1);
        }
    }

    /// <summary>One multi-segment sequence, so a single TryRead call crosses segment boundaries.</summary>
    public static ReadOnlySequence<byte> Segmented(byte[] data, IEnumerable<int> chunkSizes)
    {
        Segment? first = null;
        Segment? last = null;
        int offset = 0;
        using IEnumerator<int> sizes = chunkSizes.GetEnumerator();
        while (offset < data.Length && sizes.MoveNext())
        {
            int count = Math.Min(sizes.Current, data.Length - offset);
            var segment = new Segment(data.AsMemory(offset, count));
            if (last is null)
            {
                first = segment;
            }
            else
            {
                last.Append(segment);
            }

            last = segment;
            offset += count;
        }

        return first is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(first, 0, last!, last!.Memory.Length);
    }

    public static List<string> Rendered(IEnumerable<StreamEvent> events) => [.. events.Select(Render)];

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public void Append(Segment next)
        {
            next.RunningIndex = RunningIndex + Memory.Length;
            Next = next;
        }
    }
}
