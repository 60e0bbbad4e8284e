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

/// <summary>The end of a MAM page (XEP-0313 §4.3): whether the archive has more, and where to continue.</summary>
public sealed record ArchivePage(bool Complete, string? Last);

/// <summary>Builds MAM queries and reads their results.</summary>
public static class MamElements
{
    private static readonly XNamespace MamNs = Ns.Mam;
    private static readonly XNamespace RsmNs = "http://jabber.org/protocol/rsm";
    private static readonly XNamespace ForwardNs = Ns.Forward;
    private static readonly XNamespace DelayNs = Ns.Delay;
    public static readonly XName ResultName = MamNs + "result";

    /// <summary>XEP-0313 §4.1 + XEP-0059 §2.4: the page of the own archive after <paramref name="afterArchiveId"/>.</summary>
    public static Iq QueryAfter(string queryId, string? afterArchiveId, int max) => new()
    {
        Type = IqType.Set,
        Id = StanzaId.New(),
        Payload =
        [
            new XElement(MamNs + "query",
                new XAttribute("queryid", queryId),
                new XElement(RsmNs + "set",
                    new XElement(RsmNs + "max", max.ToString(CultureInfo.InvariantCulture)),
                    afterArchiveId is null ? null : new XElement(RsmNs + "after", afterArchiveId))),
        ],
    };

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
        return new ArchivePage(complete, fin.Element(RsmNs + "set")?.Element(RsmNs + "last")?.Value);
    }
}
