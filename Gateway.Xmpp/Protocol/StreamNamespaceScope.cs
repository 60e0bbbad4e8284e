using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace Gateway.Xmpp.Protocol;

/// <summary>
/// The namespaces every top-level element inherits from the stream header (RFC 6120 §4.8.2, §4.8.5): its default
/// namespace and its prefixes, as <see cref="XmlParserContext"/> gives them to the reference path, looked up by the
/// prefix's UTF-8 bytes for <see cref="Utf8ElementParser"/>. Immutable; one per stream.
/// </summary>
internal sealed class StreamNamespaceScope
{
    /// <summary>No header yet: no default namespace and no prefixes.</summary>
    public static readonly StreamNamespaceScope Empty = new(Utf8InternCache.NoNamespace, []);

    private readonly HeaderBinding[] _bindings;

    private StreamNamespaceScope(XNamespace defaultNamespace, HeaderBinding[] bindings)
    {
        DefaultNamespace = defaultNamespace;
        _bindings = bindings;
    }

    public XNamespace DefaultNamespace { get; }

    /// <summary>The scope declared by the header's namespace declarations (an empty prefix is the default).</summary>
    public static StreamNamespaceScope FromDeclarations(IEnumerable<(string Prefix, string Uri)> declarations)
    {
        XNamespace defaultNamespace = Utf8InternCache.NoNamespace;
        var bindings = new List<HeaderBinding>();
        foreach ((string prefix, string uri) in declarations)
        {
            if (prefix.Length == 0)
            {
                defaultNamespace = XNamespace.Get(uri);
            }
            else if (prefix != "xml" && Ascii.IsValid(prefix))
            {
                // A non-ASCII prefix never matches, because non-ASCII names fall back anyway.
                bindings.Add(new HeaderBinding(Encoding.ASCII.GetBytes(prefix), XNamespace.Get(uri)));
            }
        }

        // Later declarations of a prefix cannot exist (the header's attributes are unique), so order is irrelevant.
        return new StreamNamespaceScope(defaultNamespace, [.. bindings]);
    }

    /// <summary>The namespace the header binds <paramref name="prefix"/> to, or null.</summary>
    public XNamespace? LookupPrefix(ReadOnlySpan<byte> prefix)
    {
        foreach (HeaderBinding binding in _bindings)
        {
            if (prefix.SequenceEqual(binding.Prefix))
            {
                return binding.Namespace;
            }
        }

        return null;
    }

    private sealed record HeaderBinding(byte[] Prefix, XNamespace Namespace);
}
