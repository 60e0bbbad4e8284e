// XEP-0191: Blocking Command (v1.3) https://xmpp.org/extensions/xep-0191.html
using System.Collections.Immutable;
using System.Xml.Linq;
using Gateway.Xmpp.Protocol;

namespace Gateway.Xmpp.Blocking;

/// <summary>
/// A change of the blocklist the server pushed (XEP-0191 §3.3, §3.4, §3.5): JIDs blocked, or unblocked; an unblock
/// with no JIDs unblocked everyone.
/// </summary>
public sealed record BlocklistChange(bool Blocked, ImmutableArray<Jid> Jids)
{
    /// <summary>An unblock of every JID (XEP-0191 §3.5).</summary>
    public bool UnblockedAll => !Blocked && Jids.IsEmpty;
}

/// <summary>XEP-0191 requests and pushes. Element building and parsing are pure.</summary>
public static class BlockingCommand
{
    private static readonly XNamespace BlockingNs = Ns.Blocking;

    public static readonly XName BlocklistName = BlockingNs + "blocklist";
    public static readonly XName BlockName = BlockingNs + "block";
    public static readonly XName UnblockName = BlockingNs + "unblock";

    /// <summary>Most JIDs one request may carry: a request stays far below any server's stanza limit.</summary>
    public const int MaxJidsPerRequest = 256;

    /// <summary>XEP-0191 §3.2: the blocklist.</summary>
    public static async Task<ImmutableArray<Jid>> GetBlocklistAsync(this IStanzaSender client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var reply = await client.SendIqAsync(new Iq { Type = IqType.Get, Payload = [new XElement(BlocklistName)] }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return ParseItems(reply.Query);
    }

    /// <summary>XEP-0191 §3.3: blocks the JIDs (at least one).</summary>
    public static Task BlockAsync(this IStanzaSender client, IReadOnlyCollection<Jid> jids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jids);
        if (jids.Count == 0)
        {
            // XEP-0191 §3.3: a block without items is a bad-request; refuse it here rather than at the server.
            throw new ArgumentException("Block at least one JID.", nameof(jids));
        }

        return SendAsync(client, Request(BlockName, jids), cancellationToken);
    }

    /// <summary>XEP-0191 §3.4 (the JIDs) and §3.5 (none: unblock everyone).</summary>
    public static Task UnblockAsync(this IStanzaSender client, IReadOnlyCollection<Jid> jids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jids);
        return SendAsync(client, Request(UnblockName, jids), cancellationToken);
    }

    /// <summary>The request payload: &lt;block/&gt; or &lt;unblock/&gt; with one item per JID.</summary>
    public static XElement Request(XName name, IReadOnlyCollection<Jid> jids)
    {
        ArgumentNullException.ThrowIfNull(jids);
        if (jids.Count > MaxJidsPerRequest)
        {
            throw new ArgumentException($"At most {MaxJidsPerRequest} JIDs per request.", nameof(jids));
        }

        return new XElement(name, jids.Select(j => new XElement(BlockingNs + "item", new XAttribute("jid", j.ToString()))));
    }

    /// <summary>The push an IQ set carries, or null when it is not a block/unblock push.</summary>
    public static BlocklistChange? ParsePush(Iq iq)
    {
        ArgumentNullException.ThrowIfNull(iq);
        if (iq.Type != IqType.Set || iq.Query is not { } query || (query.Name != BlockName && query.Name != UnblockName))
        {
            return null;
        }

        return new BlocklistChange(query.Name == BlockName, ParseItems(query));
    }

    /// <summary>The valid item JIDs of a blocklist, block or unblock element; invalid ones are skipped.</summary>
    public static ImmutableArray<Jid> ParseItems(XElement? element) =>
        element is null
            ? []
            : [.. element.Elements(BlockingNs + "item").Select(i => Jid.TryParse((string?)i.Attribute("jid"), out var jid) ? jid : null).OfType<Jid>().Distinct()];

    private static async Task SendAsync(IStanzaSender client, XElement payload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        await client.SendIqAsync(new Iq { Type = IqType.Set, Payload = [payload] }, cancellationToken: cancellationToken).ConfigureAwait(false);
    }
}
