// XEP-0030: Service Discovery (v2.5rc3) https://xmpp.org/extensions/xep-0030.html
using System.Collections.Immutable;
using System.Xml.Linq;
using Gateway.Xmpp.Protocol;

namespace Gateway.Xmpp;

/// <summary>An identity in a disco#info answer (XEP-0030 §3.1).</summary>
public sealed record DiscoIdentity(string Category, string Type, string? Name = null);

/// <summary>A disco#info answer: identities and features.</summary>
public sealed record DiscoInfo(ImmutableArray<DiscoIdentity> Identities, ImmutableArray<string> Features)
{
    public bool Supports(string feature) => Features.Contains(feature, StringComparer.Ordinal);
}

/// <summary>XEP-0030: answers disco#info with the features registered on the client, and queries others.</summary>
public static class DiscoFeature
{
    public static readonly XName InfoQueryName = XName.Get("query", Ns.DiscoInfo);
    private static readonly XNamespace InfoNs = Ns.DiscoInfo;

    /// <summary>
    /// XEP-0030 §3.1: we are an automated client; the feature list is read at answer time so features
    /// registered later are included.
    /// </summary>
    internal static void Register(XmppClient client, string name) =>
        client.SetIqHandler(InfoQueryName, (request, _) =>
        {
            if (request.Type != IqType.Get || request.Query!.Attribute("node") is not null)
            {
                // XEP-0030 §3.2: we publish no nodes.
                throw new StanzaErrorException(StanzaError.Of(StanzaErrorCondition.ItemNotFound));
            }

            var info = new DiscoInfo([new DiscoIdentity("client", "bot", name)], [.. client.DiscoFeatures]);
            return ValueTask.FromResult<XElement?>(ToElement(info));
        }, Ns.DiscoInfo);

    public static async Task<DiscoInfo> GetDiscoInfoAsync(this IStanzaSender client, Jid to, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var reply = await client.SendIqAsync(new Iq { Type = IqType.Get, To = to, Payload = [new XElement(InfoQueryName)] }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return Parse(reply.Query ?? new XElement(InfoQueryName));
    }

    internal static DiscoInfo Parse(XElement query) => new(
        [.. query.Elements(InfoNs + "identity").Select(i => new DiscoIdentity((string?)i.Attribute("category") ?? "", (string?)i.Attribute("type") ?? "", (string?)i.Attribute("name")))],
        [.. query.Elements(InfoNs + "feature").Select(f => (string?)f.Attribute("var")).OfType<string>()]);

    internal static XElement ToElement(DiscoInfo info) => new(
        InfoQueryName,
        info.Identities.Select(i => new XElement(InfoNs + "identity",
            new XAttribute("category", i.Category), new XAttribute("type", i.Type),
            i.Name is null ? null : new XAttribute("name", i.Name))),
        info.Features.Select(f => new XElement(InfoNs + "feature", new XAttribute("var", f))));
}
