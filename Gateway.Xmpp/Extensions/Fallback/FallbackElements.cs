// XEP-0428: Fallback Indication (v0.2.0) https://xmpp.org/extensions/xep-0428.html
using System.Xml.Linq;
using Gateway.Xmpp.Protocol;

namespace Gateway.Xmpp;

/// <summary>Reads and writes the XEP-0428 fallback indication.</summary>
public static class FallbackElements
{
    public static readonly XName Fallback = XName.Get("fallback", Ns.Fallback);

    /// <summary>
    /// XEP-0428 §2.2: the message's body (all of it: no child elements) is a fallback for clients that do not support
    /// <paramref name="forNamespace"/>.
    /// </summary>
    public static XElement For(string forNamespace) => new(Fallback, new XAttribute("for", forNamespace));

    /// <summary>The namespaces the message's fallback indications are for, in document order.</summary>
    public static IReadOnlyList<string> ReadFor(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        List<string>? found = null;
        foreach (var element in message.Payload)
        {
            if (element.Name == Fallback && (string?)element.Attribute("for") is { Length: > 0 } ns)
            {
                (found ??= []).Add(ns);
            }
        }

        return found ?? [];
    }
}
