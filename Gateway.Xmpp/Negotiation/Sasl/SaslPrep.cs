using System.Globalization;
using System.Text;

namespace Gateway.Xmpp.Negotiation.Sasl;

/// <summary>
/// A partial SASLprep (RFC 4013) for user names and passwords, prepared as "query" strings so unassigned code
/// points pass (RFC 5802 §5.1). The server prepares its stored copy the same way, so a password typed in another
/// Unicode form still matches.
/// </summary>
/// <remarks>
/// What it does: maps non-ASCII spaces (RFC 3454 C.1.2) to U+0020 and drops "commonly mapped to nothing"
/// characters (B.1), applies NFKC, then rejects control, format, private-use, non-character code points and lone
/// surrogates, plus the C.6 and C.7 tables (a superset of RFC 4013 §2.3's prohibitions, unassigned code points
/// aside). What it does not do: it uses the runtime's current Unicode tables rather than Unicode 3.2, skips the
/// bidirectional check (RFC 4013 §2.4, RFC 3454 §6), and knows nothing of the PRECIS OpaqueString
/// profile (RFC 8265) that newer servers may apply instead. Printable ASCII, by far the common case, is
/// unaffected by all of these.
/// NFKC needs ICU: under <c>InvariantGlobalization</c> <see cref="string.Normalize(NormalizationForm)"/> silently
/// returns its input, so non-ASCII strings are then only mapped, not normalized (<see cref="IsNormalizationAvailable"/>).
/// A password typed in a non-NFKC form then fails as not-authorized; ASCII and already-composed text still work.
/// </remarks>
internal static class SaslPrep
{
    /// <summary>
    /// False when the runtime cannot normalize (globalization-invariant mode). Probed once: U+2168 ROMAN NUMERAL
    /// NINE has the compatibility decomposition "IX", so an unchanged result means normalization is a no-op.
    /// </summary>
    public static readonly bool IsNormalizationAvailable =
        "\u2168".Normalize(NormalizationForm.FormKC) == "IX";

    /// <summary>
    /// Prepares <paramref name="value"/>; throws <see cref="ArgumentException"/> naming <paramref name="paramName"/>
    /// (never echoing the value, which may be a password) when it is empty or holds a prohibited character.
    /// </summary>
    public static string Prepare(string value, string paramName)
    {
        ArgumentNullException.ThrowIfNull(value, paramName);

        var prepared = IsPrintableAscii(value) ? value : PrepareNonAscii(value, paramName);
        if (prepared.Length == 0)
        {
            // RFC 4616 §2 and RFC 5802 §7 both require at least one character.
            throw new ArgumentException("The value is empty after SASLprep.", paramName);
        }

        return prepared;
    }

    private static string PrepareNonAscii(string value, string paramName)
    {
        var mapped = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            if (IsMappedToNothing(c))
            {
                continue;
            }

            mapped.Append(IsNonAsciiSpace(c) ? ' ' : c);
        }

        // Lone surrogates make Normalize throw with a message of its own, so reject them first.
        EnsureAllowed(mapped.ToString(), paramName);
        var normalized = mapped.ToString().Normalize(NormalizationForm.FormKC);
        EnsureAllowed(normalized, paramName);
        return normalized;
    }

    private static void EnsureAllowed(string value, string paramName)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (!Rune.TryGetRuneAt(value, i, out var rune))
            {
                throw Prohibited(paramName, "an unpaired surrogate");
            }

            if (IsProhibited(rune))
            {
                throw Prohibited(paramName, $"the prohibited code point U+{rune.Value:X4}");
            }

            i += rune.Utf16SequenceLength - 1;
        }
    }

    private static ArgumentException Prohibited(string paramName, string what) =>
        new($"The value contains {what}, which SASLprep (RFC 4013 §2.3) does not allow.", paramName);

    private static bool IsPrintableAscii(string value)
    {
        foreach (var c in value)
        {
            if (c is < '\u0020' or > '\u007E')
            {
                return false;
            }
        }

        return true;
    }

    // RFC 3454 table C.1.2, mapped to SPACE by RFC 4013 §2.1.
    private static bool IsNonAsciiSpace(char c) =>
        c is '\u00A0' or '\u1680' or (>= '\u2000' and <= '\u200B') or '\u202F' or '\u205F' or '\u3000';

    // RFC 3454 table B.1, mapped to nothing by RFC 4013 §2.1. U+200B sits in both tables and implementations
    // differ; we apply the space mapping first, so it becomes a space and is left out here.
    private static bool IsMappedToNothing(char c) =>
        c is '\u00AD' or '\u034F' or '\u1806' or (>= '\u180B' and <= '\u180D') or '\u200C' or '\u200D'
            or '\u2060' or (>= '\uFE00' and <= '\uFE0F') or '\uFEFF';

    private static bool IsProhibited(Rune rune)
    {
        // Non-characters (C.4): U+FDD0..U+FDEF and the last two code points of every plane. Then the characters of
        // C.6 (U+FFF9..U+FFFD) and C.7 (U+2FF0..U+2FFB) that are not format characters anyway.
        if (rune.Value is (>= 0xFDD0 and <= 0xFDEF) or 0xFFFC or 0xFFFD or (>= 0x2FF0 and <= 0x2FFB)
            || (rune.Value & 0xFFFE) == 0xFFFE)
        {
            return true;
        }

        return Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control
            or UnicodeCategory.Format
            or UnicodeCategory.PrivateUse
            or UnicodeCategory.Surrogate;
    }
}
