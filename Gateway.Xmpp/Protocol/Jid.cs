using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace Gateway.Xmpp;

/// <summary>
/// An XMPP address (JID) per RFC 7622: <c>[localpart "@"] domainpart ["/" resourcepart]</c>. Immutable; equality,
/// hashing and <see cref="ToString()"/> use the enforced (normalised) parts, so addresses that differ only in the
/// case of the localpart or domainpart, a trailing dot on the domainpart, or Unicode composition are equal.
/// </summary>
/// <remarks>
/// <para>
/// Enforcement is a practical subset of PRECIS (RFC 8264, RFC 8265) and IDNA2008, with Unicode normalisation
/// from the runtime's ICU.
/// </para>
/// <list type="bullet">
/// <item>Localpart (UsernameCaseMapped): width mapping, <see cref="string.ToLowerInvariant"/>, NFC. Rejects
/// <c>" &amp; ' / : &lt; &gt; @</c>, whitespace, control and format characters (ZWNJ/ZWJ excepted). Symbols and
/// compatibility characters are accepted so that addresses created under the older nodeprep rules stay usable.</item>
/// <item>Resourcepart (OpaqueString): non-ASCII spaces become U+0020, NFC, case kept. Rejects control characters
/// and a resourcepart made only of whitespace.</item>
/// <item>Domainpart: width mapping, one trailing dot stripped, lowercase, NFC. A dotted-quad IPv4 address, a
/// bracketed IPv6 address (rewritten in RFC 5952 form) or labels of 1–63 letters, digits and hyphens (non-ASCII
/// letters, marks and digits allowed). A-labels (<c>xn--</c>) are converted to U-labels, so both spellings of an
/// internationalised domain are one address; an <c>xn--</c> label that is not a valid A-label is refused.</item>
/// <item>Each part is at most 1023 octets of UTF-8 after enforcement; unpaired surrogates are rejected.</item>
/// </list>
/// </remarks>
public sealed class Jid : IEquatable<Jid>, ISpanFormattable, IParsable<Jid>
{
    // RFC 7622 §3.2, §3.3, §3.4: each part is 1 to 1023 octets of UTF-8.
    private const int MaxPartOctets = 1023;

    // Bounds the work done before the octet check. Enforcement can shrink text: NFC turns "U\u0308\u0304" (three
    // UTF-16 units) into "\u01D5" (two octets), the worst ratio in Unicode 15.1, so a part of more than 1.5 x 1023
    // units never fits; twice 1023 leaves room to spare, the domainpart's stripped trailing dot included.
    private const int MaxRawPartChars = 2 * MaxPartOctets;

    // Three parts plus the '@' and the '/'.
    private const int MaxJidChars = 3 * MaxRawPartChars + 2;

    // RFC 1034 §3.1: a label is at most 63 octets. Counted in code points here; without IDNA the A-label length
    // of a U-label is unknown.
    private const int MaxLabelLength = 63;

    private static readonly SearchValues<char> LdhChars =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789-");

    private static readonly SearchValues<char> Ipv6Chars = SearchValues.Create("0123456789abcdefABCDEF:.");

    private static readonly SearchValues<char> Ipv4Chars = SearchValues.Create("0123456789.");

    // Addresses repeat: a client hears from the same few peers, and its own address is on every stanza it receives.
    // Recent successful parses are kept in a small direct-mapped cache shared by all threads. Entries are immutable
    // and replaced whole, so readers need no lock, and a Jid is immutable, so one instance can be handed to many
    // callers. Fixed size, and only short strings: a peer sending ever-new addresses makes it miss, never grow.
    private const int CacheSize = 256;
    private const int MaxCachedChars = 256;
    private static readonly CacheEntry?[] s_cache = new CacheEntry?[CacheSize];

    private Jid? _bare;
    private string? _string;

    private Jid(string? local, string domain, string? resource)
    {
        Local = local;
        Domain = domain;
        Resource = resource;
    }

    /// <summary>The enforced localpart, or null when the address has none (a server or component).</summary>
    public string? Local { get; }

    /// <summary>The enforced domainpart: a lowercase host name, a dotted-quad IPv4 address or a bracketed IPv6 address.</summary>
    public string Domain { get; }

    /// <summary>The enforced resourcepart, or null for a bare JID. May contain '@' and '/'.</summary>
    public string? Resource { get; }

    /// <summary>True when the address has no resourcepart.</summary>
    public bool IsBare => Resource is null;

    /// <summary>This address without its resourcepart; the same instance when it is already bare.</summary>
    public Jid Bare => Resource is null ? this : _bare ??= new Jid(Local, Domain, null);

    /// <summary>Builds an address from separate parts, enforcing each as <see cref="Parse(string)"/> would.</summary>
    /// <param name="local">The localpart, or null for none. Must not be empty.</param>
    /// <param name="domain">The domainpart.</param>
    /// <param name="resource">The resourcepart, or null for a bare JID. Must not be empty.</param>
    /// <exception cref="ArgumentNullException"><paramref name="domain"/> is null.</exception>
    /// <exception cref="JidFormatException">A part breaks RFC 7622; <see cref="JidFormatException.Part"/> says which.</exception>
    public static Jid Create(string? local, string domain, string? resource = null)
    {
        ArgumentNullException.ThrowIfNull(domain);
        return TryEnforce(local, domain, resource, original: null, out Jid? jid, out JidPart part, out string? error)
            ? jid
            : throw new JidFormatException(part, error);
    }

    /// <summary>The same bare address with <paramref name="resource"/> as its resourcepart.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="resource"/> is null.</exception>
    /// <exception cref="JidFormatException"><paramref name="resource"/> is not a valid resourcepart.</exception>
    public Jid WithResource(string resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        if (EnforceResource(resource, out string enforced) is { } error)
        {
            throw new JidFormatException(JidPart.Resource, error);
        }

        return string.Equals(enforced, Resource, StringComparison.Ordinal) ? this : new Jid(Local, Domain, enforced);
    }

    /// <summary>Parses and enforces an address such as <c>juliet@example.com/balcony</c>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="s"/> is null.</exception>
    /// <exception cref="JidFormatException"><paramref name="s"/> is not a valid JID.</exception>
    public static Jid Parse(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return TryParseCore(s, out Jid? jid, out JidPart part, out string? error)
            ? jid
            : throw new JidFormatException(part, error);
    }

    /// <summary>Parses and enforces an address without throwing.</summary>
    /// <returns>False when <paramref name="s"/> is null or not a valid JID.</returns>
    public static bool TryParse([NotNullWhen(true)] string? s, [NotNullWhen(true)] out Jid? jid) =>
        TryParseCore(s, out jid, out _, out _);

    /// <summary>Parses and enforces an address without throwing, reporting why it is invalid.</summary>
    /// <param name="s">The address.</param>
    /// <param name="jid">The address, when valid.</param>
    /// <param name="error">When invalid, the message <see cref="Parse(string)"/> would have thrown.</param>
    public static bool TryParse(
        [NotNullWhen(true)] string? s, [NotNullWhen(true)] out Jid? jid, [NotNullWhen(false)] out string? error) =>
        TryParseCore(s, out jid, out _, out error);

    static Jid IParsable<Jid>.Parse(string s, IFormatProvider? provider) => Parse(s);

    static bool IParsable<Jid>.TryParse(
        [NotNullWhen(true)] string? s, IFormatProvider? provider, [MaybeNullWhen(false)] out Jid result) =>
        TryParse(s, out result);

    /// <summary>The normalised form <c>local@domain/resource</c>, which <see cref="Parse(string)"/> maps back to an equal JID.</summary>
    public override string ToString() => _string ??= Format(Local, Domain, Resource);

    string IFormattable.ToString(string? format, IFormatProvider? formatProvider) => ToString();

    /// <summary>Writes <see cref="ToString()"/> into <paramref name="destination"/>; the format and provider are ignored.</summary>
    public bool TryFormat(
        Span<char> destination, out int charsWritten, ReadOnlySpan<char> format = default, IFormatProvider? provider = null)
    {
        string s = ToString();
        if (s.TryCopyTo(destination))
        {
            charsWritten = s.Length;
            return true;
        }

        charsWritten = 0;
        return false;
    }

    /// <summary>Ordinal equality of the enforced parts.</summary>
    public bool Equals([NotNullWhen(true)] Jid? other) =>
        other is not null
        && string.Equals(Domain, other.Domain, StringComparison.Ordinal)
        && string.Equals(Local, other.Local, StringComparison.Ordinal)
        && string.Equals(Resource, other.Resource, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals([NotNullWhen(true)] object? obj) => Equals(obj as Jid);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Local, Domain, Resource);

    public static bool operator ==(Jid? left, Jid? right) => left is null ? right is null : left.Equals(right);

    public static bool operator !=(Jid? left, Jid? right) => !(left == right);

    private static bool TryParseCore(
        [NotNullWhen(true)] string? s,
        [NotNullWhen(true)] out Jid? jid,
        out JidPart part,
        [NotNullWhen(false)] out string? error)
    {
        if (string.IsNullOrEmpty(s))
        {
            (jid, part, error) = (null, JidPart.Whole, "JID is empty");
            return false;
        }

        if (s.Length > MaxJidChars)
        {
            (jid, part, error) = (null, JidPart.Whole,
                $"JID is longer than {MaxJidChars} characters, so a part exceeds 1023 octets (RFC 7622 §3.2-3.4)");
            return false;
        }

        int slot = -1;
        if (s.Length <= MaxCachedChars)
        {
            slot = CacheSlot(s);
            CacheEntry? entry = Volatile.Read(ref s_cache[slot]);
            if (entry is not null && string.Equals(entry.Text, s, StringComparison.Ordinal))
            {
                (jid, part, error) = (entry.For(s), default, null);
                return true;
            }
        }

        // RFC 7622 §3.1: the resourcepart is everything after the first '/' (it may hold '@' and '/'); of what is
        // before it, the localpart is everything before the first '@'.
        int slash = s.IndexOf('/');
        string? resource = slash < 0 ? null : s[(slash + 1)..];
        int head = slash < 0 ? s.Length : slash;
        int at = s.AsSpan(0, head).IndexOf('@');
        string? local = at < 0 ? null : s[..at];
        string domain = s[(at + 1)..head];
        if (!TryEnforce(local, domain, resource, s, out jid, out part, out error))
        {
            return false;
        }

        if (slot >= 0)
        {
            Volatile.Write(ref s_cache[slot], new CacheEntry(s, jid, ReferenceEquals(jid._string, s)));
        }

        return true;
    }

    private static bool TryEnforce(
        string? local,
        string domain,
        string? resource,
        string? original,
        [NotNullWhen(true)] out Jid? jid,
        out JidPart part,
        [NotNullWhen(false)] out string? error)
    {
        jid = null;
        string? enforcedLocal = null;
        string? enforcedResource = null;
        if (local is not null && (error = EnforceLocal(local, out enforcedLocal)) is not null)
        {
            part = JidPart.Local;
            return false;
        }

        if ((error = EnforceDomain(domain, out string enforcedDomain)) is not null)
        {
            part = JidPart.Domain;
            return false;
        }

        if (resource is not null && (error = EnforceResource(resource, out enforcedResource)) is not null)
        {
            part = JidPart.Resource;
            return false;
        }

        jid = new Jid(enforcedLocal, enforcedDomain, enforcedResource);
        if (original is not null
            && string.Equals(local, enforcedLocal, StringComparison.Ordinal)
            && string.Equals(domain, enforcedDomain, StringComparison.Ordinal)
            && string.Equals(resource, enforcedResource, StringComparison.Ordinal))
        {
            // Already normalised, which is the usual case on the wire: ToString() allocates nothing.
            jid._string = original;
        }

        part = default;
        return true;
    }

    // RFC 7622 §3.3.2: the UsernameCaseMapped profile (RFC 8265 §3.3), in its order: width mapping, case
    // mapping, NFC; then the class and RFC 7622 §3.3.1 checks on the result.
    private static string? EnforceLocal(string raw, out string enforced)
    {
        enforced = raw;
        if (raw.Length == 0)
        {
            return "JID localpart is empty although '@' is present (RFC 7622 §3.3)";
        }

        if (CheckLengthAndSurrogates(raw, "localpart", "§3.3") is { } error)
        {
            return error;
        }

        string mapped = Ascii.IsValid(raw)
            ? raw.ToLowerInvariant()
            : Nfc.Normalize(UnicodeTables.MapWidth(raw).ToLowerInvariant());
        foreach (Rune rune in mapped.EnumerateRunes())
        {
            // RFC 7622 §3.3.1: characters that IdentifierClass allows but XMPP reserves.
            if (rune.Value is '"' or '&' or '\'' or '/' or ':' or '<' or '>' or '@')
            {
                return $"JID localpart contains forbidden character {Describe(rune)} (RFC 7622 §3.3.1)";
            }

            UnicodeCategory category = Rune.GetUnicodeCategory(rune);
            if (category == UnicodeCategory.Control)
            {
                return $"JID localpart contains control character {Describe(rune)} (RFC 7622 §3.3.1)";
            }

            // IdentifierClass (RFC 8264 §4.2) has no spaces at all.
            if (Rune.IsWhiteSpace(rune))
            {
                return $"JID localpart contains whitespace {Describe(rune)} (RFC 7622 §3.3.1)";
            }

            // Invisible format characters let two different localparts look identical. ZWNJ and ZWJ stay: some
            // scripts need them (RFC 5892 Appendix A.1, A.2).
            if (category == UnicodeCategory.Format && rune.Value is not (0x200C or 0x200D))
            {
                return $"JID localpart contains invisible format character {Describe(rune)} (RFC 7622 §3.3.1)";
            }
        }

        if (Encoding.UTF8.GetByteCount(mapped) > MaxPartOctets)
        {
            return TooLong("localpart", "§3.3");
        }

        enforced = mapped;
        return null;
    }

    // RFC 7622 §3.4.2: the OpaqueString profile (RFC 8265 §4.2): non-ASCII spaces become U+0020, no case
    // mapping, NFC. FreeformClass allows spaces but no control characters.
    private static string? EnforceResource(string raw, out string enforced)
    {
        enforced = raw;
        if (raw.Length == 0)
        {
            return "JID resourcepart is empty although '/' is present (RFC 7622 §3.4)";
        }

        if (CheckLengthAndSurrogates(raw, "resourcepart", "§3.4") is { } error)
        {
            return error;
        }

        string mapped = Ascii.IsValid(raw) ? raw : Nfc.Normalize(UnicodeTables.MapNonAsciiSpaces(raw));
        bool onlyWhitespace = true;
        foreach (Rune rune in mapped.EnumerateRunes())
        {
            if (Rune.GetUnicodeCategory(rune) == UnicodeCategory.Control)
            {
                return $"JID resourcepart contains control character {Describe(rune)} (RFC 7622 §3.4.1)";
            }

            onlyWhitespace &= Rune.IsWhiteSpace(rune);
        }

        if (onlyWhitespace)
        {
            return "JID resourcepart consists only of whitespace";
        }

        if (Encoding.UTF8.GetByteCount(mapped) > MaxPartOctets)
        {
            return TooLong("resourcepart", "§3.4");
        }

        enforced = mapped;
        return null;
    }

    // RFC 7622 §3.2.2: IDNA2008 width mapping, case mapping and NFC (RFC 5892, RFC 5895).
    private static string? EnforceDomain(string raw, out string enforced)
    {
        enforced = raw;
        if (CheckLengthAndSurrogates(raw, "domainpart", "§3.2") is { } error)
        {
            return error;
        }

        string domain = raw;
        if (!Ascii.IsValid(domain))
        {
            // Full-width '．' and ideographic '。' are label separators too (RFC 5895 §2).
            domain = UnicodeTables.MapWidth(domain).Replace('\u3002', '.');
        }

        // RFC 7622 §3.2: a trailing label separator MUST be stripped before any other canonicalization.
        if (domain.EndsWith('.'))
        {
            domain = domain[..^1];
        }

        if (domain.Length == 0)
        {
            return "JID domainpart is empty (RFC 7622 §3.2)";
        }

        // RFC 7622 §3.2: the domainpart may be an IP literal, IPv6 in brackets as in RFC 3986 §3.2.2.
        if (domain[0] == '[')
        {
            return TryEnforceIpv6(domain, out enforced)
                ? null
                : "JID domainpart starts with '[' but is not a bracketed IPv6 address (RFC 7622 §3.2)";
        }

        if (!domain.AsSpan().ContainsAnyExcept(Ipv4Chars))
        {
            enforced = domain;
            return IsDottedQuad(domain)
                ? null
                : "JID domainpart is numeric but not a dotted-quad IPv4 address (RFC 7622 §3.2)";
        }

        domain = domain.ToLowerInvariant();
        if (domain.Contains("xn--", StringComparison.Ordinal))
        {
            // RFC 7622 §3.2.2: an A-label is converted to its U-label, so "xn--mnchen-3ya.de" and "münchen.de" are one
            // address with one spelling (and one hash).
            if (ToULabels(domain, out string? unicode) is { } idnaError)
            {
                return idnaError;
            }

            domain = unicode!;
        }

        if (!Ascii.IsValid(domain))
        {
            domain = Nfc.Normalize(domain);
        }

        foreach (Range range in domain.AsSpan().Split('.'))
        {
            if (CheckLabel(domain.AsSpan()[range]) is { } labelError)
            {
                return labelError;
            }
        }

        if (Encoding.UTF8.GetByteCount(domain) > MaxPartOctets)
        {
            return TooLong("domainpart", "§3.2");
        }

        enforced = domain;
        return null;
    }

    // RFC 5890 §2.3.2.1: an A-label is "xn--" followed by the Punycode of a valid U-label, and nothing else: it must
    // decode, the result must not be plain ASCII, and encoding the result again must give back the same label
    // (RFC 5891 §5.4). Anything else is not a label we can compare, so the address is refused.
    private static string? ToULabels(string domain, out string? unicode)
    {
        unicode = null;

        // Rare (only "xn--" domains), and IdnMapping's instance members are not documented as thread-safe.
        var idna = new IdnMapping { UseStd3AsciiRules = true };
        var builder = new StringBuilder(domain.Length);
        foreach (Range range in domain.AsSpan().Split('.'))
        {
            string label = domain[range];
            if (range.Start.Value > 0)
            {
                builder.Append('.');
            }

            if (!label.StartsWith("xn--", StringComparison.Ordinal))
            {
                builder.Append(label);
                continue;
            }

            string decoded;
            try
            {
                decoded = idna.GetUnicode(label);
                if (Ascii.IsValid(decoded) || !string.Equals(idna.GetAscii(decoded), label, StringComparison.OrdinalIgnoreCase))
                {
                    return InvalidALabel;
                }
            }
            catch (ArgumentException)
            {
                return InvalidALabel;
            }

            builder.Append(decoded);
        }

        unicode = builder.ToString();
        return null;
    }

    private const string InvalidALabel = "JID domainpart has an 'xn--' label that is not a valid A-label (RFC 5890 §2.3.2.1)";

    // RFC 7622 §3.2.1: only NR-LDH labels and U-labels (RFC 5890 §2.3.1, §2.3.2.1); hyphens as in RFC 5891 §4.2.3.1.
    private static string? CheckLabel(ReadOnlySpan<char> label)
    {
        if (label.IsEmpty)
        {
            return "JID domainpart contains an empty label (RFC 1034 §3.1)";
        }

        if (label[0] == '-' || label[^1] == '-')
        {
            return "JID domainpart has a label that starts or ends with '-' (RFC 5891 §4.2.3.1)";
        }

        int length = 0;
        foreach (Rune rune in label.EnumerateRunes())
        {
            length++;
            bool allowed = rune.IsAscii
                ? LdhChars.Contains((char)rune.Value)
                : Rune.GetUnicodeCategory(rune) is UnicodeCategory.LowercaseLetter or UnicodeCategory.UppercaseLetter
                    or UnicodeCategory.TitlecaseLetter or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter
                    or UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark
                    or UnicodeCategory.DecimalDigitNumber;
            if (!allowed)
            {
                return $"JID domainpart contains invalid character {Describe(rune)} (RFC 7622 §3.2.1)";
            }
        }

        return length > MaxLabelLength
            ? $"JID domainpart has a label longer than {MaxLabelLength} characters (RFC 1034 §3.1)"
            : null;
    }

    private static bool TryEnforceIpv6(string domain, out string enforced)
    {
        enforced = domain;
        if (domain.Length < 4 || domain[^1] != ']')
        {
            return false;
        }

        // Only hex digits, ':' and '.' (embedded IPv4): IPAddress would also take a "%zone" suffix.
        ReadOnlySpan<char> inner = domain.AsSpan(1, domain.Length - 2);
        if (inner.ContainsAnyExcept(Ipv6Chars)
            || !IPAddress.TryParse(inner, out IPAddress? address)
            || address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }

        // One spelling per address (RFC 5952), so "[2001:DB8:0::1]" equals "[2001:db8::1]".
        enforced = string.Concat("[", address.ToString(), "]");
        return true;
    }

    // RFC 3986 §3.2.2 dec-octet: four decimal octets 0-255 without leading zeros. IPAddress.TryParse is
    // deliberately not used: it also takes "127.1" and "0x7f.0.0.1".
    private static bool IsDottedQuad(ReadOnlySpan<char> s)
    {
        int octets = 0;
        foreach (Range range in s.Split('.'))
        {
            ReadOnlySpan<char> octet = s[range];
            if (++octets > 4
                || octet.IsEmpty
                || octet.Length > 3
                || (octet.Length > 1 && octet[0] == '0')
                || int.Parse(octet, NumberStyles.None, CultureInfo.InvariantCulture) > 255)
            {
                return false;
            }
        }

        return octets == 4;
    }

    private static string? CheckLengthAndSurrogates(string raw, string partName, string section)
    {
        if (raw.Length > MaxRawPartChars)
        {
            return TooLong(partName, section);
        }

        for (int i = 0; i < raw.Length; i++)
        {
            char c = raw[i];
            int codePoint = c;
            if (char.IsHighSurrogate(c) && i + 1 < raw.Length && char.IsLowSurrogate(raw[i + 1]))
            {
                codePoint = char.ConvertToUtf32(c, raw[++i]);
            }
            else if (char.IsSurrogate(c))
            {
                return $"JID {partName} contains unpaired surrogate U+{(int)c:X4}, which has no UTF-8 form";
            }

            // PRECIS (RFC 8264 §9.11) disallows noncharacters in every class, and ICU's normalisation refuses U+FFFE
            // with an ArgumentException: refused here, before anything normalises them.
            if (codePoint is >= 0xFDD0 and <= 0xFDEF || (codePoint & 0xFFFE) == 0xFFFE)
            {
                return $"JID {partName} contains noncharacter U+{codePoint:X4} (RFC 8264 §9.11)";
            }
        }

        return null;
    }

    private static string TooLong(string partName, string section) =>
        $"JID {partName} is longer than {MaxPartOctets} octets of UTF-8 (RFC 7622 {section})";

    private static string Describe(Rune rune) =>
        rune.Value is > 0x20 and < 0x7F ? $"'{(char)rune.Value}'" : $"U+{rune.Value:X4}";

    private static string Format(string? local, string domain, string? resource) => (local, resource) switch
    {
        (null, null) => domain,
        (null, _) => string.Concat(domain, "/", resource),
        (_, null) => string.Concat(local, "@", domain),
        _ => string.Concat(local, "@", domain, "/", resource),
    };

    // Length and the first and last four characters: cheaper than the randomised string hash, and a peer who makes
    // addresses collide on purpose only makes the cache miss, which costs what a parse costs without it.
    private static int CacheSlot(string s)
    {
        ulong h = (ulong)s.Length;
        if (s.Length >= 4)
        {
            ReadOnlySpan<byte> bytes = MemoryMarshal.AsBytes(s.AsSpan());
            h ^= (MemoryMarshal.Read<ulong>(bytes) * 0x9E3779B97F4A7C15UL) ^ (MemoryMarshal.Read<ulong>(bytes[^8..]) * 0xC2B2AE3D27D4EB4FUL);
        }
        else
        {
            foreach (char c in s)
            {
                h = (h * 31) + c;
            }
        }

        return (int)((h ^ (h >> 29)) % CacheSize);
    }

    // One cached parse. For the very string instance it came from, the same Jid; for an equal string, a Jid with the
    // same parts whose ToString() returns that string when the original was already normalised (as a fresh parse would).
    private sealed class CacheEntry(string text, Jid jid, bool normalised)
    {
        public string Text { get; } = text;

        public Jid For(string s) =>
            ReferenceEquals(s, Text) ? jid : new Jid(jid.Local, jid.Domain, jid.Resource) { _string = normalised ? s : null };
    }
}

// Unicode Normalization Form C through ICU (the runtime's globalization support must be on: it is, see
// Directory.Build.props). Most JIDs are already normalised, so check before allocating.
file static class Nfc
{
    public static string Normalize(string s) =>
        s.IsNormalized(NormalizationForm.FormC) ? s : s.Normalize(NormalizationForm.FormC);
}

// The PRECIS mappings that are not plain normalisation.
file static class UnicodeTables
{
    // PRECIS width mapping rule (RFC 8265 §3.3): full-width and half-width forms (U+3000, U+FF00-U+FFEF) map to their
    // compatibility decomposition; nothing else is touched, unlike a blanket NFKC.
    public static string MapWidth(string s) => Map(s, static rune =>
        rune.Value is 0x3000 or (>= 0xFF00 and <= 0xFFEF) ? rune.ToString().Normalize(NormalizationForm.FormKC) : null);

    // OpaqueString additional mapping rule (RFC 8265 §4.2): any non-ASCII space to U+0020.
    public static string MapNonAsciiSpaces(string s) => Map(s, static rune =>
        !rune.IsAscii && Rune.GetUnicodeCategory(rune) == UnicodeCategory.SpaceSeparator ? " " : null);

    private static string Map(string s, Func<Rune, string?> map)
    {
        StringBuilder? builder = null;
        var index = 0;
        foreach (var rune in s.EnumerateRunes())
        {
            var mapped = map(rune);
            if (mapped is not null && builder is null)
            {
                builder = new StringBuilder(s.Length).Append(s, 0, index);
            }

            if (builder is not null)
            {
                if (mapped is null)
                {
                    builder.Append(rune.ToString());
                }
                else
                {
                    builder.Append(mapped);
                }
            }

            index += rune.Utf16SequenceLength;
        }

        return builder?.ToString() ?? s;
    }
}
