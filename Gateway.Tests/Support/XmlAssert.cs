using System.Xml.Linq;

namespace Gateway.Tests.Support;

/// <summary>
/// Compares XML by meaning: expanded element and attribute names, attribute values, text, child order.
/// Namespace declarations and prefixes are ignored, because servers may re-declare namespaces (Prosody
/// serialises prefixed elements with default namespace declarations) without changing the infoset.
/// </summary>
internal static class XmlAssert
{
    public static void Equivalent(XElement expected, XElement actual) =>
        Assert.True(AreEquivalent(expected, actual), $"XML differs.\nExpected: {expected}\nActual:   {actual}");

    public static bool AreEquivalent(XElement a, XElement b)
    {
        if (a.Name != b.Name)
        {
            return false;
        }

        var attributesA = a.Attributes().Where(x => !x.IsNamespaceDeclaration).OrderBy(x => x.Name.ToString(), StringComparer.Ordinal).ToArray();
        var attributesB = b.Attributes().Where(x => !x.IsNamespaceDeclaration).OrderBy(x => x.Name.ToString(), StringComparer.Ordinal).ToArray();
        if (attributesA.Length != attributesB.Length
            || attributesA.Zip(attributesB).Any(p => p.First.Name != p.Second.Name || p.First.Value != p.Second.Value))
        {
            return false;
        }

        var childrenA = a.Elements().ToArray();
        var childrenB = b.Elements().ToArray();
        if (childrenA.Length != childrenB.Length)
        {
            return false;
        }

        if (childrenA.Length == 0)
        {
            return a.Value == b.Value;
        }

        return childrenA.Zip(childrenB).All(p => AreEquivalent(p.First, p.Second))
            && string.Concat(a.Nodes().OfType<XText>().Select(t => t.Value)).Trim() == string.Concat(b.Nodes().OfType<XText>().Select(t => t.Value)).Trim();
    }
}
