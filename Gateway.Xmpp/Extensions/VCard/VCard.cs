// XEP-0054: vcard-temp (v1.2) https://xmpp.org/extensions/xep-0054.html
using System.Collections.Immutable;
using System.Xml.Linq;
using Gateway.Xmpp.Protocol;

namespace Gateway.Xmpp.VCard;

/// <summary>
/// The commonly used fields of a vcard-temp card (XEP-0054 §3, after the vCard 3.0 DTD of the XEP's appendix). What
/// is not modelled (addresses, PHOTO, …) stays in <see cref="Element"/> of a card read from a server.
/// </summary>
public sealed record VCardInfo
{
    /// <summary>FN: the formatted name.</summary>
    public string? FullName { get; init; }

    /// <summary>NICKNAME.</summary>
    public string? Nickname { get; init; }

    /// <summary>N/GIVEN.</summary>
    public string? GivenName { get; init; }

    /// <summary>N/FAMILY.</summary>
    public string? FamilyName { get; init; }

    /// <summary>EMAIL/USERID, in order.</summary>
    public ImmutableArray<string> Emails { get; init; } = [];

    /// <summary>TEL/NUMBER, in order.</summary>
    public ImmutableArray<string> Telephones { get; init; } = [];

    /// <summary>URL, in order.</summary>
    public ImmutableArray<string> Urls { get; init; } = [];

    /// <summary>DESC: free text about the person.</summary>
    public string? Note { get; init; }

    /// <summary>BDAY, as written (ISO 8601 date by the DTD, not checked).</summary>
    public string? Birthday { get; init; }

    /// <summary>TITLE.</summary>
    public string? Title { get; init; }

    /// <summary>ORG/ORGNAME.</summary>
    public string? Organization { get; init; }

    /// <summary>The whole card as received; null on a card built here.</summary>
    public XElement? Element { get; init; }
}

/// <summary>XEP-0054 §3.1 (get) and §3.2 (set). Building and parsing are pure.</summary>
public static class VCardTemp
{
    private static readonly XNamespace V = Ns.VCard;

    public static readonly XName VCardName = V + "vCard";

    /// <summary>
    /// XEP-0054 §3.1: the card of <paramref name="of"/> (a bare JID: the account's server answers for its users), or the
    /// account's own when null. A user without a card gives an empty card or <c>item-not-found</c>, as the server has it.
    /// </summary>
    public static async Task<VCardInfo> GetVCardAsync(this IStanzaSender client, Jid? of, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var reply = await client.SendIqAsync(new Iq { Type = IqType.Get, To = of?.Bare, Payload = [new XElement(VCardName)] }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return Parse(reply.Query is { } query && query.Name == VCardName ? query : new XElement(VCardName));
    }

    /// <summary>XEP-0054 §3.2: replaces the account's own card with <paramref name="vcard"/> (a whole &lt;vCard/&gt; element).</summary>
    public static async Task SetVCardAsync(this IStanzaSender client, XElement vcard, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(vcard);
        if (vcard.Name != VCardName)
        {
            throw new ArgumentException($"A vCard must be a <vCard xmlns='{Ns.VCard}'/> element.", nameof(vcard));
        }

        await client.SendIqAsync(new Iq { Type = IqType.Set, Payload = [vcard] }, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads the modelled fields; everything else stays in <see cref="VCardInfo.Element"/>.</summary>
    public static VCardInfo Parse(XElement vcard)
    {
        ArgumentNullException.ThrowIfNull(vcard);
        var name = vcard.Element(V + "N");
        return new VCardInfo
        {
            FullName = Text(vcard.Element(V + "FN")),
            Nickname = Text(vcard.Element(V + "NICKNAME")),
            GivenName = Text(name?.Element(V + "GIVEN")),
            FamilyName = Text(name?.Element(V + "FAMILY")),
            Emails = [.. vcard.Elements(V + "EMAIL").Select(e => Text(e.Element(V + "USERID"))).OfType<string>()],
            Telephones = [.. vcard.Elements(V + "TEL").Select(e => Text(e.Element(V + "NUMBER"))).OfType<string>()],
            Urls = [.. vcard.Elements(V + "URL").Select(Text).OfType<string>()],
            Note = Text(vcard.Element(V + "DESC")),
            Birthday = Text(vcard.Element(V + "BDAY")),
            Title = Text(vcard.Element(V + "TITLE")),
            Organization = Text(vcard.Element(V + "ORG")?.Element(V + "ORGNAME")),
            Element = vcard,
        };
    }

    /// <summary>The &lt;vCard/&gt; element for the modelled fields (empty ones left out), in the DTD's order.</summary>
    public static XElement ToElement(VCardInfo card)
    {
        ArgumentNullException.ThrowIfNull(card);
        return new XElement(
            VCardName,
            Leaf("FN", card.FullName),
            card.GivenName is null && card.FamilyName is null ? null : new XElement(V + "N", Leaf("FAMILY", card.FamilyName), Leaf("GIVEN", card.GivenName)),
            Leaf("NICKNAME", card.Nickname),
            card.Urls.Select(u => Leaf("URL", u)),
            Leaf("BDAY", card.Birthday),
            card.Organization is null ? null : new XElement(V + "ORG", Leaf("ORGNAME", card.Organization)),
            Leaf("TITLE", card.Title),
            card.Telephones.Select(t => new XElement(V + "TEL", new XElement(V + "VOICE"), Leaf("NUMBER", t))),
            card.Emails.Select(e => new XElement(V + "EMAIL", new XElement(V + "INTERNET"), Leaf("USERID", e))),
            Leaf("DESC", card.Note));
    }

    private static XElement? Leaf(string name, string? value) => value is null ? null : new XElement(V + name, value);

    private static string? Text(XElement? element) => element?.Value is { Length: > 0 } value ? value : null;
}
