// XEP-0313: Message Archive Management (v1.1.1) https://xmpp.org/extensions/xep-0313.html
// XEP-0059: Result Set Management (v1.0) https://xmpp.org/extensions/xep-0059.html
using System.Globalization;
using System.Xml.Linq;
using Gateway.Xmpp.Protocol;

namespace Gateway.Xmpp;

/// <summary>One archived message delivered in answer to a MAM query (XEP-0313 §4.2).</summary>
/// <param name="QueryId">The query it answers.</param>
/// <param name="ArchiveId">The archive's id of the message (the XEP-0359 stanza-id it was stamped with).</param>
/// <param name="Message">The original message, as archived.</param>
/// <param name="Stamp">When the server received it (XEP-0203 delay), if given.</param>
public sealed record ArchivedMessage(string QueryId, string ArchiveId, Message Message, DateTimeOffset? Stamp);

/// <summary>The end of a MAM page (XEP-0313 §4.3): whether the archive has more, and where to continue (forwards after <paramref name="Last"/>, backwards before <paramref name="First"/>).</summary>
public sealed record ArchivePage(bool Complete, string? Last, string? First = null);

/// <summary>
/// What a XEP-0313 query asks an archive for. <see cref="Before"/> "" asks for the last page (RSM §2.5); results
/// of one page always come oldest first.
/// </summary>
/// <param name="Max">Results per page (servers cap it, Prosody at 50 by default).</param>
public sealed record ArchiveQuery(int Max)
{
    /// <summary>The archive asked: null for the account's own (§4), a room's bare JID for its archive (§5, MUC).</summary>
    public Jid? Archive { get; init; }

    /// <summary>Only messages exchanged with this JID (§4.1.1): a bare JID matches all its resources.</summary>
    public Jid? With { get; init; }

    /// <summary>Only messages archived at or after this time (§4.1.2).</summary>
    public DateTimeOffset? Start { get; init; }

    /// <summary>Only messages archived at or before this time (§4.1.2).</summary>
    public DateTimeOffset? End { get; init; }

    /// <summary>The page after this archive id (RSM).</summary>
    public string? After { get; init; }

    /// <summary>The page before this archive id, or the last page when empty (RSM).</summary>
    public string? Before { get; init; }
}

/// <summary>Builds MAM queries and reads their results.</summary>
public static class MamElements
{
    private static readonly XNamespace MamNs = Ns.Mam;
    private static readonly XNamespace RsmNs = "http://jabber.org/protocol/rsm";
    private static readonly XNamespace ForwardNs = Ns.Forward;
    private static readonly XNamespace DelayNs = Ns.Delay;
    public static readonly XName ResultName = MamNs + "result";

    /// <summary>
    /// XEP-0313 §4 + XEP-0059: a query of the own archive (no 'to': the account's, §4) or of a room's (§5), with a data
    /// form (§4.1) and a page (RSM).
    /// </summary>
    public static Iq Query(string queryId, ArchiveQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        XNamespace data = "jabber:x:data";
        XElement? Field(string var, string? value) =>
            value is null ? null : new XElement(data + "field", new XAttribute("var", var), new XElement(data + "value", value));
        var filtered = query.With is not null || query.Start is not null || query.End is not null;
        return new Iq
        {
            Type = IqType.Set,
            Id = StanzaId.New(),
            To = query.Archive?.Bare,
            Payload =
            [
                new XElement(MamNs + "query",
                    new XAttribute("queryid", queryId),
                    filtered
                        ? new XElement(data + "x", new XAttribute("type", "submit"),
                            new XElement(data + "field", new XAttribute("var", "FORM_TYPE"), new XAttribute("type", "hidden"), new XElement(data + "value", Ns.Mam)),
                            Field("with", query.With?.ToString()),
                            Field("start", Stamp(query.Start)),
                            Field("end", Stamp(query.End)))
                        : null,
                    new XElement(RsmNs + "set",
                        new XElement(RsmNs + "max", query.Max.ToString(CultureInfo.InvariantCulture)),
                        query.After is null ? null : new XElement(RsmNs + "after", query.After),
                        query.Before is null ? null : new XElement(RsmNs + "before", query.Before))),
            ],
        };
    }

    /// <summary>XEP-0082 date-time in UTC, with milliseconds only when there are some.</summary>
    private static string? Stamp(DateTimeOffset? time) => time?.UtcDateTime.ToString(
        time.Value.Millisecond == 0 ? "yyyy-MM-dd'T'HH:mm:ss'Z'" : "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// The queryid of a MAM result message, without reading the rest (the archived message is parsed only for a query
    /// that is ours); null when the message is no result. "" for a result without one.
    /// </summary>
    public static string? ResultQueryId(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message.FindPayload(ResultName) is { } result ? (string?)result.Attribute("queryid") ?? string.Empty : null;
    }

    /// <summary>XEP-0313 §6.2: asks for the archive's metadata (its first and last entries).</summary>
    public static Iq MetadataRequest() => new()
    {
        Type = IqType.Get,
        Id = StanzaId.New(),
        Payload = [new XElement(MamNs + "metadata")],
    };

    /// <summary>The id of the archive's newest entry from a metadata answer; null when the archive is empty or the answer has none.</summary>
    public static string? ReadLastArchiveId(Iq result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Query is { } metadata && metadata.Name == MamNs + "metadata"
            ? (string?)metadata.Element(MamNs + "end")?.Attribute("id")
            : null;
    }

    /// <summary>The archived message a result message carries; null when the message is not a MAM result.</summary>
    public static ArchivedMessage? TryReadResult(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var result = message.FindPayload(ResultName);
        var forwarded = result?.Element(ForwardNs + "forwarded");
        var inner = forwarded?.Element(XName.Get("message", Ns.Client));
        if (result is null || inner is null || (string?)result.Attribute("id") is not { } archiveId)
        {
            return null;
        }

        if (!StanzaCodec.TryParse(inner, out var stanza, out _) || stanza is not Message archived)
        {
            return null;
        }

        DateTimeOffset? stamp = DateTimeOffset.TryParse((string?)forwarded!.Element(DelayNs + "delay")?.Attribute("stamp"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
            ? parsed
            : null;
        return new ArchivedMessage((string?)result.Attribute("queryid") ?? string.Empty, archiveId, archived, stamp);
    }

    /// <summary>Reads the &lt;fin/&gt; of a query's IQ result.</summary>
    public static ArchivePage ReadFin(Iq result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var fin = result.Query;
        if (fin is null || fin.Name != MamNs + "fin")
        {
            return new ArchivePage(Complete: true, Last: null);
        }

        var complete = (string?)fin.Attribute("complete") is "true" or "1";
        var set = fin.Element(RsmNs + "set");
        return new ArchivePage(complete, set?.Element(RsmNs + "last")?.Value, set?.Element(RsmNs + "first")?.Value);
    }
}
