using System.Collections.Immutable;
using System.Xml.Linq;
using Gateway.Xmpp.Protocol;

namespace Gateway.Xmpp.Negotiation;

/// <summary>RFC 6120 §4.3.2: what the server offers in <c>&lt;stream:features/&gt;</c>.</summary>
internal sealed record StreamFeatures(
    bool StartTls,
    bool StartTlsRequired,
    ImmutableArray<string> SaslMechanisms,
    bool Bind,
    bool SessionRequired,
    bool StreamManagement,
    ImmutableHashSet<XName> All)
{
    /// <summary>
    /// XEP-0440: the channel binding types the server supports, from <c>&lt;sasl-channel-binding/&gt;</c>; empty when it
    /// does not say (then a <c>-PLUS</c> mechanism is not used: we cannot know it takes our type).
    /// </summary>
    public ImmutableArray<string> ChannelBindingTypes { get; init; } = [];

    private static readonly XNamespace Tls = Ns.Tls;
    private static readonly XNamespace Sasl = Ns.Sasl;
    private static readonly XNamespace Session = Ns.Session;

    public static StreamFeatures Parse(XElement features)
    {
        var startTls = features.Element(Tls + "starttls");
        var mechanisms = features.Element(Sasl + "mechanisms")?.Elements(Sasl + "mechanism")
            .Select(m => m.Value.Trim()).Where(m => m.Length > 0).ToImmutableArray() ?? [];
        var session = features.Element(Session + "session");
        return new StreamFeatures(
            StartTls: startTls is not null,
            StartTlsRequired: startTls?.Element(Tls + "required") is not null,
            SaslMechanisms: mechanisms,
            Bind: features.Element(XName.Get("bind", Ns.Bind)) is not null,
            // RFC 6121 §1.4 removed session establishment; only old servers still require it, without <optional/>.
            SessionRequired: session is not null && session.Element(Session + "optional") is null,
            StreamManagement: features.Element(XName.Get("sm", Ns.StreamManagement)) is not null,
            All: features.Elements().Select(e => e.Name).ToImmutableHashSet())
        {
            ChannelBindingTypes = features.Element(XName.Get("sasl-channel-binding", Ns.SaslChannelBinding))?
                .Elements(XName.Get("channel-binding", Ns.SaslChannelBinding))
                .Select(e => ((string?)e.Attribute("type"))?.Trim() ?? "").Where(t => t.Length > 0).ToImmutableArray() ?? [],
        };
    }
}
