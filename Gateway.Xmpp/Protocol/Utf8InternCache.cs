using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Xml.Linq;

namespace Gateway.Xmpp.Protocol;

/// <summary>
/// Interns what repeats from stanza to stanza, keyed by its UTF-8 bytes: the <see cref="XName"/>s of elements and
/// attributes, the <see cref="XNamespace"/>s that declarations name, and the values of to, from, type and xml:lang.
/// A repeated one costs neither a string nor a global <see cref="XNamespace"/> lookup.
/// </summary>
/// <remarks>
/// Direct-mapped with a fixed number of entries: a peer inventing names can make it miss, never grow. What it returns
/// is a function of the bytes alone, so one instance can serve any number of streams; <see cref="Utf8ElementParser"/>
/// keeps one per thread. Not thread-safe. A struct, so that it lies inside the parser's per-thread workspace: a lookup
/// goes from the workspace the parser already holds straight to a table, with no object in between and no second
/// reference for the parser to keep up to date on every element. Create it with <c>new()</c>: a <c>default</c>
/// instance has no tables.
/// </remarks>
internal readonly struct Utf8InternCache
{
    private const int NameCacheSize = 128;       // power of two; two-way: 64 sets of two
    private const int NamespaceCacheSize = 32;   // power of two
    private const int ValueCacheSize = 32;       // power of two
    private const int MaxCachedKeyBytes = 128;
    private const int PackedNameBytes = 16;

    // XNamespace.None, .Xml and .Xmlns dereference a weak reference on every call; these strong ones also keep the
    // three namespaces (and so the XNames in the caches) the very instances XNamespace.Get returns.
    public static readonly XNamespace NoNamespace = XNamespace.None;
    public static readonly XNamespace XmlNamespace = XNamespace.Xml;
    public static readonly XNamespace XmlnsNamespace = XNamespace.Xmlns;

    // Slots are structs in one array, and short names are stored inline: a lookup touches one or two cache lines
    // instead of chasing entry and key objects, which the stream of freshly allocated trees keeps evicting.
    private readonly NameSlot[] _names;
    private readonly KeySlot<XNamespace>[] _namespaces;
    private readonly KeySlot<string>[] _values;

    public Utf8InternCache()
    {
        _names = new NameSlot[NameCacheSize];
        _namespaces = new KeySlot<XNamespace>[NamespaceCacheSize];
        _values = new KeySlot<string>[ValueCacheSize];
    }

    // The XName of an ASCII NCName in a namespace, through the cache. The hit in the first way is inlined into the
    // callers: a name is looked up for every element and attribute.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public XName GetName(ReadOnlySpan<byte> s, int start, int length, XNamespace ns)
    {
        if (length <= PackedNameBytes)
        {
            (ulong low, ulong high) = Pack(s, start, length);
            ulong mixed = (low * 0x9E3779B97F4A7C15UL) ^ (high * 0xC2B2AE3D27D4EB4FUL) ^ (uint)length;
            int set = ((int)(mixed >> 32) ^ (int)mixed ^ ns.GetHashCode()) & (NameCacheSize - 2);
            ref NameSlot first = ref _names[set];
            if (first.Matches(low, high, length, ns))
            {
                return first.Name!;
            }

            return GetNameSlow(s.Slice(start, length), ns, low, high, set);
        }

        // Rare in XMPP; XNamespace's own table still atomises it.
        return ns.GetName(Encoding.ASCII.GetString(s.Slice(start, length)));
    }

    private XName GetNameSlow(ReadOnlySpan<byte> local, XNamespace ns, ulong low, ulong high, int set)
    {
        // Two ways per set: two names that hash alike do not evict each other. A hit in the second way leaves both
        // where they are (swapping would rewrite two slots for each of them on every stanza); a new name goes first.
        ref NameSlot first = ref _names[set];
        ref NameSlot second = ref _names[set + 1];
        if (second.Matches(low, high, local.Length, ns))
        {
            return second.Name!;
        }

        XName name = ns.GetName(Encoding.ASCII.GetString(local));
        second = first;
        first = new NameSlot(low, high, local.Length, ns, name);
        return name;
    }

    // Up to 16 bytes of s as two integers; with the length, they identify the bytes exactly.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (ulong Low, ulong High) Pack(ReadOnlySpan<byte> s, int start, int length)
    {
        if (length >= 8)
        {
            ulong low = MemoryMarshal.Read<ulong>(s[start..]);
            ulong high = length == 8 ? 0 : MemoryMarshal.Read<ulong>(s[(start + length - 8)..]) >> (8 * (PackedNameBytes - length));
            return (low, high);
        }

        if (start + 8 <= s.Length)
        {
            // A name is always followed by more of the tag: one load, masked to the name's bytes.
            return (MemoryMarshal.Read<ulong>(s[start..]) & ((1UL << (8 * length)) - 1), 0);
        }

        ulong value = 0;
        for (int i = start + length - 1; i >= start; i--)
        {
            value = (value << 8) | s[i];
        }

        return (value, 0);
    }

    // The namespace named by a declaration's raw attribute value, through the cache.
    public bool TryGetNamespace(ReadOnlySpan<byte> s, int start, int length, bool allowEmpty, [NotNullWhen(true)] out XNamespace? ns)
    {
        ns = null;
        if (length == 0)
        {
            // Namespaces §6.2: xmlns="" puts unprefixed elements back in no namespace.
            ns = allowEmpty ? NoNamespace : null;
            return ns is not null;
        }

        ReadOnlySpan<byte> raw = s.Slice(start, length);
        ref KeySlot<XNamespace> entry = ref _namespaces[Hash(raw) & (NamespaceCacheSize - 1)];
        if (entry.Key is not null && raw.SequenceEqual(entry.Key))
        {
            ns = entry.Value!;
            return true;
        }

        // Namespaces §3: the xml and xmlns namespace names may not be bound to other prefixes (or be the default).
        if (!XmlTextDecoder.TryDecode(s, start, length, XmlTextKind.Attribute, out string? uri) || uri.Length == 0
            || uri == XmlNamespace.NamespaceName || uri == XmlnsNamespace.NamespaceName)
        {
            return false;
        }

        ns = XNamespace.Get(uri);
        if (length <= MaxCachedKeyBytes)
        {
            entry = new KeySlot<XNamespace>(raw.ToArray(), ns);
        }

        return true;
    }

    // An attribute value that repeats from stanza to stanza (to, from, type, xml:lang), through the cache.
    public bool TryDecodeRepeatedValue(ReadOnlySpan<byte> s, int start, int length, [NotNullWhen(true)] out string? value)
    {
        if (length > MaxCachedKeyBytes)
        {
            return XmlTextDecoder.TryDecode(s, start, length, XmlTextKind.Attribute, out value);
        }

        ReadOnlySpan<byte> raw = s.Slice(start, length);
        ref KeySlot<string> entry = ref _values[Hash(raw) & (ValueCacheSize - 1)];
        if (entry.Key is not null && raw.SequenceEqual(entry.Key))
        {
            // Decoding is a function of the bytes alone: equal bytes, equal (and equally valid) value.
            value = entry.Value!;
            return true;
        }

        if (!XmlTextDecoder.TryDecode(s, start, length, XmlTextKind.Attribute, out value))
        {
            return false;
        }

        entry = new KeySlot<string>(raw.ToArray(), value);
        return true;
    }

    // Length, first and last eight bytes: names and namespace URIs are short and differ there.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Hash(ReadOnlySpan<byte> key)
    {
        ulong first;
        ulong last;
        if (key.Length >= 8)
        {
            first = MemoryMarshal.Read<ulong>(key);
            last = MemoryMarshal.Read<ulong>(key[^8..]);
        }
        else
        {
            first = 0;
            foreach (byte b in key)
            {
                first = (first << 8) | b;
            }

            last = 0;
        }

        ulong h = (first * 0x9E3779B97F4A7C15UL) ^ (last * 0xC2B2AE3D27D4EB4FUL) ^ (ulong)key.Length;
        return (int)(h >> 32) ^ (int)h;
    }

    private readonly record struct NameSlot(ulong Low, ulong High, int Length, XNamespace? Namespace, XName? Name)
    {
        public bool Matches(ulong low, ulong high, int length, XNamespace ns) =>
            Low == low && High == high && Length == length && ReferenceEquals(Namespace, ns);
    }

    private readonly record struct KeySlot<T>(byte[]? Key, T? Value)
        where T : class;
}
