using System.Buffers.Text;
using System.Text;

namespace Gateway.Bench.Load;

/// <summary>
/// The body of every load message: <c>lt1 p=07 s=0000000042 t=0000123456789012345 …</c>, the phase, the message's
/// sequence number within the phase and the sender's <see cref="System.Diagnostics.Stopwatch"/> timestamp. Fixed
/// width, so a pre-encoded request keeps its length when the numbers are patched in; ASCII only, so its bytes are the
/// same in XML, JSON and text/plain.
/// </summary>
internal static class MessageBody
{
    /// <summary>How every body starts; what a receiver checks before parsing.</summary>
    public const string Marker = "lt1 p=";

    public const int MaxPhase = 99;
    private const int PhaseDigits = 2;
    private const int SeqDigits = 10;
    private const int TimeDigits = 19;
    private const int PhaseOffset = 6;                          // after "lt1 p="
    private const int SeqOffset = PhaseOffset + PhaseDigits + 3; // after " s="
    private const int TimeOffset = SeqOffset + SeqDigits + 3;   // after " t="
    private const string Filler = " a load-test chat message of a typical size";

    /// <summary>The body's length in characters (and bytes).</summary>
    public static int Length { get; } = TimeOffset + TimeDigits + Filler.Length;

    /// <summary>A body with the given numbers.</summary>
    public static string Create(int phase, long seq, long timestamp)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(phase);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(phase, MaxPhase);
        var bytes = new byte[Length];
        Encoding.ASCII.GetBytes(Marker, bytes);
        WriteDigits(bytes.AsSpan(PhaseOffset, PhaseDigits), phase);
        Encoding.ASCII.GetBytes(" s=", bytes.AsSpan(SeqOffset - 3));
        Encoding.ASCII.GetBytes(" t=", bytes.AsSpan(TimeOffset - 3));
        Encoding.ASCII.GetBytes(Filler, bytes.AsSpan(TimeOffset + TimeDigits));
        Patch(bytes, seq, timestamp);
        return Encoding.ASCII.GetString(bytes);
    }

    /// <summary>Writes sequence number and timestamp into an encoded body that starts at <paramref name="body"/>[0].</summary>
    public static void Patch(Span<byte> body, long seq, long timestamp)
    {
        WriteDigits(body.Slice(SeqOffset, SeqDigits), seq);
        WriteDigits(body.Slice(TimeOffset, TimeDigits), timestamp);
    }

    /// <summary>The offsets of every body in <paramref name="bytes"/> (e.g. 100 in a batch request), in order.</summary>
    public static int[] FindAll(ReadOnlySpan<byte> bytes)
    {
        var marker = Encoding.ASCII.GetBytes(Marker);
        var found = new List<int>();
        var offset = 0;
        while (bytes[offset..].IndexOf(marker) is var index and >= 0)
        {
            found.Add(offset + index);
            offset += index + Length;
        }

        return found.ToArray();
    }

    /// <summary>Reads a body; false for anything else (a message that is not ours).</summary>
    public static bool TryParse(string? body, out int phase, out long seq, out long timestamp)
    {
        phase = 0;
        seq = 0;
        timestamp = 0;
        if (body is null || body.Length < TimeOffset + TimeDigits)
        {
            return false;
        }

        Span<byte> ascii = stackalloc byte[TimeOffset + TimeDigits];
        for (var i = 0; i < ascii.Length; i++)
        {
            if (body[i] > 127)
            {
                return false;
            }

            ascii[i] = (byte)body[i];
        }

        return TryParse(ascii, out phase, out seq, out timestamp);
    }

    /// <summary>Reads a body from its UTF-8 bytes (what follows may be anything, e.g. the rest of a JSON document).</summary>
    public static bool TryParse(ReadOnlySpan<byte> body, out int phase, out long seq, out long timestamp)
    {
        phase = 0;
        seq = 0;
        timestamp = 0;
        return body.Length >= TimeOffset + TimeDigits
            && body.StartsWith("lt1 p="u8)
            && Utf8Parser.TryParse(body.Slice(PhaseOffset, PhaseDigits), out phase, out var used1) && used1 == PhaseDigits
            && Utf8Parser.TryParse(body.Slice(SeqOffset, SeqDigits), out seq, out var used2) && used2 == SeqDigits
            && Utf8Parser.TryParse(body.Slice(TimeOffset, TimeDigits), out timestamp, out var used3) && used3 == TimeDigits
            && phase <= MaxPhase;
    }

    private static void WriteDigits(Span<byte> destination, long value)
    {
        for (var i = destination.Length - 1; i >= 0; i--)
        {
            destination[i] = (byte)('0' + (value % 10));
            value /= 10;
        }
    }
}
