// XEP-0334: Message Processing Hints (v0.3.0) https://xmpp.org/extensions/xep-0334.html
using System.Xml.Linq;
using Gateway.Xmpp.Protocol;

namespace Gateway.Xmpp;

/// <summary>The XEP-0334 hints the gateway writes.</summary>
public static class HintElements
{
    public static readonly XName Store = XName.Get("store", Ns.Hints);
    public static readonly XName NoCopy = XName.Get("no-copy", Ns.Hints);

    /// <summary>XEP-0334 §4.4: archive the message even though it may carry no body (a reaction, a retraction).</summary>
    public static XElement StoreHint() => new(Store);

    /// <summary>XEP-0334 §4.2: do not copy the message to other resources (with XEP-0280's &lt;private/&gt;).</summary>
    public static XElement NoCopyHint() => new(NoCopy);
}
