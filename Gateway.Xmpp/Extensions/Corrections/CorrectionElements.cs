// XEP-0308: Last Message Correction (v1.2.1) https://xmpp.org/extensions/xep-0308.html
using System.Xml.Linq;
using Gateway.Xmpp.Protocol;

namespace Gateway.Xmpp;

/// <summary>Reads and writes the XEP-0308 correction element.</summary>
public static class CorrectionElements
{
    public static readonly XName Replace = XName.Get("replace", Ns.MessageCorrect);

    /// <summary>XEP-0308 §3: the corrected message replaces the one whose 'id' is <paramref name="id"/>.</summary>
    public static XElement Create(string id) => new(Replace, new XAttribute("id", ThrowIfEmpty(id)));

    /// <summary>The id of the message this one corrects; null when it is no correction.</summary>
    public static string? ReadReplacedId(Message message) => IdOf(message, Replace);

    internal static string? IdOf(Message message, XName name)
    {
        ArgumentNullException.ThrowIfNull(message);
        return (string?)message.FindPayload(name)?.Attribute("id") is { Length: > 0 } id ? id : null;
    }

    internal static string ThrowIfEmpty(string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return id;
    }
}
