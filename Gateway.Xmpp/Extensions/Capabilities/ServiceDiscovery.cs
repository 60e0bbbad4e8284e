// XEP-0030: Service Discovery (v2.5rc3) §3 (info), §4 (items); XEP-0128 (extended info)
using System.Collections.Immutable;
using System.Xml.Linq;
using Gateway.Xmpp.Protocol;

namespace Gateway.Xmpp.Capabilities;

/// <summary>Queries and parses disco#info (with XEP-0128 forms) and disco#items. Parsing is pure.</summary>
public static class ServiceDiscovery
{
    private static readonly XNamespace InfoNs = Ns.DiscoInfo;
    private static readonly XNamespace ItemsNs = Ns.DiscoItems;
    private static readonly XNamespace FormNs = Ns.DataForms;

    /// <summary>Items beyond this many are ignored: a hostile or huge server cannot make one request fan out without bound.</summary>
    public const int MaxItems = 64;

    /// <summary>disco#info of <paramref name="to"/> (XEP-0030 §3.1).</summary>
    public static async Task<ServiceInfo> GetServiceInfoAsync(this IStanzaSender client, Jid to, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(to);
        var reply = await client.SendIqAsync(new Iq { Type = IqType.Get, To = to, Payload = [new XElement(InfoNs + "query")] }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return ParseInfo(to, reply.Query);
    }

    /// <summary>disco#items of <paramref name="to"/> (XEP-0030 §4.1), at most <see cref="MaxItems"/>.</summary>
    public static async Task<ImmutableArray<DiscoItem>> GetItemsAsync(this IStanzaSender client, Jid to, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(to);
        var reply = await client.SendIqAsync(new Iq { Type = IqType.Get, To = to, Payload = [new XElement(ItemsNs + "query")] }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return ParseItems(reply.Query);
    }

    /// <summary>
    /// The server's offer: disco#info of its domain, then disco#items and each item's disco#info in parallel, and
    /// disco#info of <paramref name="account"/>'s bare JID. An item (or the account) that does not answer, or answers
    /// with an error, is listed without info rather than failing the whole query.
    /// </summary>
    public static async Task<ServerCapabilities> GetServerCapabilitiesAsync(this IStanzaSender client, Jid domain, Jid? account = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(domain);
        var server = await client.GetServiceInfoAsync(domain, cancellationToken).ConfigureAwait(false);
        var accountInfo = account is null ? Task.FromResult<ServiceInfo?>(null) : TryGetInfoAsync(client, account.Bare, cancellationToken);
        ImmutableArray<DiscoItem> items;
        try
        {
            items = await client.GetItemsAsync(domain, cancellationToken).ConfigureAwait(false);
        }
        catch (StanzaErrorException)
        {
            // XEP-0030 §4.1: an entity may refuse disco#items; the server's own info still stands.
            items = [];
        }

        var services = await Task.WhenAll(items.Select(async item =>
        {
            try
            {
                // Info of a node is about that node, not the service: only node-less items are services (XEP-0030 §4.3).
                return new ServerService(item, item.Node is null ? await client.GetServiceInfoAsync(item.Jid, cancellationToken).ConfigureAwait(false) : null);
            }
            catch (Exception ex) when (ex is StanzaErrorException or XmppTimeoutException)
            {
                return new ServerService(item, null);
            }
        })).ConfigureAwait(false);
        return new ServerCapabilities(server, [.. services]) { Account = await accountInfo.ConfigureAwait(false) };
    }

    private static async Task<ServiceInfo?> TryGetInfoAsync(IStanzaSender client, Jid jid, CancellationToken cancellationToken)
    {
        try
        {
            return await client.GetServiceInfoAsync(jid, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is StanzaErrorException or XmppTimeoutException)
        {
            return null;
        }
    }

    /// <summary>Parses a disco#info query element (or its absence: an empty answer).</summary>
    public static ServiceInfo ParseInfo(Jid jid, XElement? query)
    {
        if (query is null || query.Name != InfoNs + "query")
        {
            return new ServiceInfo(jid, [], [], []);
        }

        return new ServiceInfo(
            jid,
            [.. query.Elements(InfoNs + "identity").Select(i => new DiscoIdentity((string?)i.Attribute("category") ?? "", (string?)i.Attribute("type") ?? "", (string?)i.Attribute("name")))],
            [.. query.Elements(InfoNs + "feature").Select(f => (string?)f.Attribute("var")).OfType<string>().Distinct(StringComparer.Ordinal)],
            [.. query.Elements(FormNs + "x").Select(ParseForm)]);
    }

    /// <summary>Parses a disco#items query; items with an invalid JID are skipped, at most <see cref="MaxItems"/> kept.</summary>
    public static ImmutableArray<DiscoItem> ParseItems(XElement? query)
    {
        if (query is null || query.Name != ItemsNs + "query")
        {
            return [];
        }

        return
        [
            .. query.Elements(ItemsNs + "item")
                .Select(i => Jid.TryParse((string?)i.Attribute("jid"), out var jid) ? new DiscoItem(jid, (string?)i.Attribute("name"), (string?)i.Attribute("node")) : null)
                .OfType<DiscoItem>()
                .Take(MaxItems),
        ];
    }

    /// <summary>XEP-0004 §3.2: a form's fields; XEP-0068 §2: the hidden FORM_TYPE field names the form.</summary>
    public static DataForm ParseForm(XElement x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var fields = x.Elements(FormNs + "field")
            .Where(f => f.Attribute("var") is not null)
            .Select(f => new DataFormField((string)f.Attribute("var")!, (string?)f.Attribute("type"), [.. f.Elements(FormNs + "value").Select(v => v.Value)]))
            .ToImmutableArray();
        var formType = fields.FirstOrDefault(f => f.Var == "FORM_TYPE") is { Values: [var type, ..] } ? type : null;
        return new DataForm(formType, [.. fields.Where(f => f.Var != "FORM_TYPE")]);
    }
}
