using System.Text;

namespace Gateway.Tests.Fuzz;

/// <summary>
/// Deterministic mutations of valid inputs (an in-process stand-in for SharpFuzz/libFuzzer): bit flips, interesting
/// bytes and tokens, deletions, duplications, truncation and splicing. The same seed gives the same inputs on every
/// machine, so a failure names an input that can be replayed.
/// </summary>
internal sealed class Mutator(int seed)
{
    // Bytes that steer an XML scanner: delimiters, quotes, the start of a multi-byte UTF-8 sequence, invalid UTF-8.
    private static readonly byte[] InterestingBytes = "<>/&;'\"=:![]?- \t\n\0"u8.ToArray().Concat(new byte[] { 0xC3, 0xE2, 0xF0, 0xFF, 0x80, 0xBF, 0xED }).ToArray();

    private static readonly string[] InterestingTokens =
    [
        "<!--", "-->", "<![CDATA[", "]]>", "&#0;", "&#x10FFFF;", "&#xD800;", "&amp;", "&lt;", "&foo;", "&#", "<?xml version='1.0'?>",
        "<!DOCTYPE x>", "xmlns=''", "xmlns:a='urn:a'", "a:b", "xml:lang='en'", "</stream:stream>", "<stream:stream>", "/>", "</",
        "<a>", "</a>", "\u00E9", "\uD83D\uDE00", "\uFFFE", "xmlns:stream='http://etherx.jabber.org/streams'", "xmlns:xml='x'",
        "xmlns:xmlns='y'", "<x xmlns='urn:x'>", "'", "\"", "=", "xn--", "@", "/", "\u0301", "\uFF0E", "[::1]",
    ];

    private readonly Random _random = new(seed);

    public Random Random => _random;

    /// <summary>One to four mutations of a random corpus entry, sometimes spliced with another.</summary>
    public byte[] Next(IReadOnlyList<byte[]> corpus)
    {
        var data = new List<byte>(corpus[_random.Next(corpus.Count)]);
        var rounds = _random.Next(1, 5);
        for (var i = 0; i < rounds; i++)
        {
            Mutate(data, corpus);
        }

        return [.. data];
    }

    /// <summary>Sizes of successive reads: mostly small, sometimes large, so elements split at every kind of place.</summary>
    public IEnumerable<int> Chunks()
    {
        var max = _random.Next(3) switch { 0 => 1, 1 => 16, _ => 4096 };
        var random = new Random(_random.Next());
        while (true)
        {
            yield return random.Next(1, max + 1);
        }
    }

    private void Mutate(List<byte> data, IReadOnlyList<byte[]> corpus)
    {
        var at = data.Count == 0 ? 0 : _random.Next(data.Count);
        switch (_random.Next(8))
        {
            case 0 when data.Count > 0:
                data[at] ^= (byte)(1 << _random.Next(8));
                break;
            case 1 when data.Count > 0:
                data[at] = InterestingBytes[_random.Next(InterestingBytes.Length)];
                break;
            case 2:
                data.InsertRange(at, Encoding.UTF8.GetBytes(InterestingTokens[_random.Next(InterestingTokens.Length)]));
                break;
            case 3 when data.Count > 0:
                data.RemoveRange(at, _random.Next(1, Math.Min(32, data.Count - at) + 1));
                break;
            case 4 when data.Count > 0:
                var length = _random.Next(1, Math.Min(64, data.Count - at) + 1);
                data.InsertRange(at, data.GetRange(at, length));
                break;
            case 5 when data.Count > 0:
                data.RemoveRange(at, data.Count - at);
                break;
            case 6:
                var other = corpus[_random.Next(corpus.Count)];
                var from = _random.Next(other.Length);
                data.InsertRange(at, other.Skip(from).Take(_random.Next(1, 128)));
                break;
            default:
                data.Insert(at, (byte)_random.Next(256));
                break;
        }
    }

    /// <summary>How many inputs a fuzz test runs: <paramref name="ciDefault"/>, or GATEWAY_FUZZ_ITERATIONS to run longer locally.</summary>
    public static int Iterations(int ciDefault) =>
        int.TryParse(Environment.GetEnvironmentVariable("GATEWAY_FUZZ_ITERATIONS"), out var n) && n > 0 ? n : ciDefault;

    /// <summary>The first seed: fixed in CI, GATEWAY_FUZZ_SEED to explore other inputs locally.</summary>
    public static int Seed(int ciDefault) =>
        int.TryParse(Environment.GetEnvironmentVariable("GATEWAY_FUZZ_SEED"), out var n) ? n : ciDefault;
}
