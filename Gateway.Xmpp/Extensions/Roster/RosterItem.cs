// RFC 6121 §2: Managing the Roster
using System.Collections.Immutable;
using System.Xml.Linq;
using Gateway.Xmpp.Protocol;

namespace Gateway.Xmpp;

/// <summary>RFC 6121 §2.1.2.5: the subscription state of a roster item.</summary>
public enum RosterSubscription
{
    None,
    To,
    From,
    Both,

    /// <summary>Only in a push or a set: the item is being deleted (RFC 6121 §2.5).</summary>
    Remove,
}

/// <summary>One contact in the roster (RFC 6121 §2.1.2).</summary>
public sealed record RosterItem(Jid Jid)
{
    /// <summary>The user-assigned handle.</summary>
    public string? Name { get; init; }

    public RosterSubscription Subscription { get; init; } = RosterSubscription.None;

    /// <summary>RFC 6121 §2.1.2.2: an outbound subscription request is pending (ask='subscribe').</summary>
    public bool PendingOut { get; init; }

    /// <summary>RFC 6121 §2.1.2.4: user-assigned groups.</summary>
    public ImmutableArray<string> Groups { get; init; } = [];

    private static readonly XNamespace RosterNs = Ns.Roster;

    internal static XName QueryName { get; } = RosterNs + "query";

    /// <summary>Parses the items of a roster query (result or push); items with an invalid JID are skipped.</summary>
    public static ImmutableArray<RosterItem> ParseQuery(XElement query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var items = ImmutableArray.CreateBuilder<RosterItem>();
        foreach (var item in query.Elements(RosterNs + "item"))
        {
            if (!Jid.TryParse((string?)item.Attribute("jid"), out var jid))
            {
                continue;
            }

            items.Add(new RosterItem(jid)
            {
                Name = (string?)item.Attribute("name"),
                Subscription = (string?)item.Attribute("subscription") switch
                {
                    "to" => RosterSubscription.To,
                    "from" => RosterSubscription.From,
                    "both" => RosterSubscription.Both,
                    "remove" => RosterSubscription.Remove,
                    _ => RosterSubscription.None,
                },
                PendingOut = (string?)item.Attribute("ask") == "subscribe",
                Groups = [.. item.Elements(RosterNs + "group").Select(g => g.Value).Where(g => g.Length > 0).Distinct(StringComparer.Ordinal)],
            });
        }

        return items.ToImmutable();
    }

    /// <summary>
    /// The item element for a roster set (RFC 6121 §2.3.2): the client MUST NOT include 'subscription'
    /// other than 'remove', nor 'ask'.
    /// </summary>
    internal XElement ToSetElement() => new(
        RosterNs + "item",
        new XAttribute("jid", Jid.ToString()),
        Name is null ? null : new XAttribute("name", Name),
        Subscription == RosterSubscription.Remove ? new XAttribute("subscription", "remove") : null,
        Groups.Select(g => new XElement(RosterNs + "group", g)));
}

/// <summary>The roster and its version (RFC 6121 §2.6).</summary>
public sealed record Roster(ImmutableArray<RosterItem> Items, string? Version)
{
    /// <summary>
    /// RFC 6121 §2.6.3: the server answered a versioned request with an empty result: the roster has not changed since
    /// the version sent (or the changes follow as roster pushes); <see cref="Items"/> is then empty.
    /// </summary>
    public bool Unchanged { get; init; }
}

/// <summary>RFC 6121 §2: roster get, set and remove.</summary>
public static class RosterExtensions
{
    /// <summary>RFC 6121 §2.1.3: retrieves the whole roster.</summary>
    public static async Task<Roster> GetRosterAsync(this IStanzaSender client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var reply = await client.SendIqAsync(new Iq { Type = IqType.Get, Payload = [new XElement(RosterItem.QueryName)] }, cancellationToken: cancellationToken).ConfigureAwait(false);
        // RFC 6121 §2.6.3: an empty result (no query) means the roster is unchanged since the version we sent; we sent none.
        return reply.Query is { } query
            ? new Roster(RosterItem.ParseQuery(query), (string?)query.Attribute("ver"))
            : new Roster([], null);
    }

    /// <summary>
    /// RFC 6121 §2.6.2: retrieves the roster if it changed since <paramref name="version"/> (send "" when nothing is
    /// cached, to start versioning). Only for servers that advertise the <c>urn:xmpp:features:rosterver</c> stream
    /// feature. The result is the whole roster, or <see cref="Roster.Unchanged"/> (pushes may then follow).
    /// </summary>
    public static async Task<Roster> GetRosterAsync(this IStanzaSender client, string version, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(version);
        var request = new XElement(RosterItem.QueryName, new XAttribute("ver", version));
        var reply = await client.SendIqAsync(new Iq { Type = IqType.Get, Payload = [request] }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return reply.Query is { } query
            ? new Roster(RosterItem.ParseQuery(query), (string?)query.Attribute("ver"))
            : new Roster([], version) { Unchanged = true };
    }

    /// <summary>RFC 6121 §2.3: adds or updates an item; the server then pushes it to every interested resource.</summary>
    public static async Task SetRosterItemAsync(this IStanzaSender client, RosterItem item, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(item);
        await client.SendIqAsync(new Iq { Type = IqType.Set, Payload = [new XElement(RosterItem.QueryName, item.ToSetElement())] }, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>RFC 6121 §2.5: removes an item (and cancels subscriptions both ways).</summary>
    public static Task RemoveRosterItemAsync(this IStanzaSender client, Jid jid, CancellationToken cancellationToken = default) =>
        client.SetRosterItemAsync(new RosterItem(jid.Bare) { Subscription = RosterSubscription.Remove }, cancellationToken);

    /// <summary>The items of a roster push delivered on <see cref="XmppClient.Incoming"/>; empty when the IQ is not one.</summary>
    public static ImmutableArray<RosterItem> AsRosterPush(this Iq iq)
    {
        ArgumentNullException.ThrowIfNull(iq);
        return iq is { Type: IqType.Set, Query: { } query } && query.Name == RosterItem.QueryName ? RosterItem.ParseQuery(query) : [];
    }
}
