// XEP-0424: Message Retraction (v0.4.2) https://xmpp.org/extensions/xep-0424.html
using System.Collections.Immutable;
using System.Xml.Linq;
using Gateway.Xmpp.Protocol;

namespace Gateway.Xmpp;

/// <summary>Reads and writes the XEP-0424 retraction element (namespace <c>urn:xmpp:message-retract:1</c>).</summary>
public static class RetractionElements
{
    public static readonly XName Retract = XName.Get("retract", Ns.MessageRetract);

    /// <summary>XEP-0424 §3 (example 4): the body clients without retraction support show instead.</summary>
    public const string FallbackBody = "/me retracted a previous message, but it's unsupported by your client.";

    /// <summary>
    /// XEP-0424 §3 and §6.1: retracts the message whose 'id' attribute (in a groupchat: the room's XEP-0359 stanza-id) is
    /// <paramref name="id"/>. The gateway sets origin-id = id on what it sends, so either names its own messages.
    /// </summary>
    public static XElement Create(string id) => new(Retract, new XAttribute("id", CorrectionElements.ThrowIfEmpty(id)));

    /// <summary>
    /// Everything a retraction carries besides its body: the element, and (§3, RECOMMENDED) a XEP-0428 indication that the
    /// body is a fallback, and (MAY) a XEP-0334 store hint so that servers archive it.
    /// </summary>
    public static ImmutableArray<XElement> CreateWithFallback(string id) =>
        [Create(id), FallbackElements.For(Ns.MessageRetract), HintElements.StoreHint()];

    /// <summary>The id of the message this one retracts; null when it is no retraction.</summary>
    public static string? ReadRetractedId(Message message) => CorrectionElements.IdOf(message, Retract);
}
