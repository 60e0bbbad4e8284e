// XEP-0313: Message Archive Management (v1.1.1) https://xmpp.org/extensions/xep-0313.html
// XEP-0359: Unique and Stable Stanza IDs (v0.7.0) §3.3 origin-id
using Gateway.Xmpp.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Gateway.Xmpp.Pool;

/// <summary>
/// Settles sent messages whose fate the server cannot tell (a new stream after one it no longer knows, or stanzas an
/// earlier gateway process accepted): the server archives what a client sends in the account's own archive, with the
/// XEP-0359 origin-id we put on every message, so a message found there was handled and must not be sent again.
/// Only what is not found is resent: with a server that archives, nothing reaches its recipient twice.
/// </summary>
/// <remarks>
/// The unconfirmed messages are the newest ones sent, so the archive is read backwards from its end (RSM before),
/// limited to what was archived since shortly before the oldest of them was accepted (a margin for clock skew between
/// gateway and server), and the search stops as soon as all are found. Bounded by <see cref="MaxPages"/>: past it the
/// rest is resent, at least once rather than never.
/// </remarks>
internal sealed class SentMessageLookup(ArchiveQueries queries, Func<string, DateTimeOffset?> acceptedAt, TimeSpan iqTimeout, ILogger logger, string tenant, string sessionId)
{
    /// <summary>How much earlier than our clock the server's archive time may be.</summary>
    internal static readonly TimeSpan ClockSkewMargin = TimeSpan.FromMinutes(5);

    private const int PageSize = 50;
    private const int MaxPages = 40;

    public async ValueTask<IReadOnlySet<string>> FindHandledAsync(IXmppConnection connection, IReadOnlyList<Stanza> unconfirmed, CancellationToken cancellationToken)
    {
        // Only messages are archived; presence and IQs are simply sent again.
        var wanted = unconfirmed.OfType<Message>().Where(m => m.Id is not null && m.Type is not (MessageType.Groupchat or MessageType.Error)).Select(m => m.Id!).ToHashSet(StringComparer.Ordinal);
        var found = new HashSet<string>(StringComparer.Ordinal);
        if (wanted.Count == 0)
        {
            return found;
        }

        var oldest = wanted.Select(acceptedAt).Where(t => t is not null).DefaultIfEmpty(null).Min();
        var recipients = unconfirmed.OfType<Message>().Select(m => m.To?.Bare).Distinct().ToArray();
        var query = new ArchiveQuery(PageSize)
        {
            Before = "",
            Start = oldest - ClockSkewMargin,
            With = recipients is [{ } only] ? only : null,
        };
        try
        {
            for (var page = 0; page < MaxPages; page++)
            {
                var (results, end) = await queries.QueryPageAsync(connection, query, iqTimeout, cancellationToken).ConfigureAwait(false);
                foreach (var archived in results)
                {
                    // Our own sends carry our origin-id, which is the stanza id we chose (MessageStanzas.WithDeliveryElements).
                    if (archived.Message.From?.Bare == queries.Account
                        && (string?)archived.Message.FindPayload(ReceiptElements.OriginId)?.Attribute("id") is { } originId
                        && wanted.Contains(originId))
                    {
                        found.Add(originId);
                    }
                }

                if (found.Count == wanted.Count || end.Complete || end.First is null || results.Count == 0)
                {
                    break;
                }

                query = query with { Before = end.First };
            }
        }
        catch (StanzaErrorException ex)
        {
            // No archive to ask: everything is sent again (at least once).
            Log.SentLookupUnavailable(logger, tenant, sessionId, ex.Error.Condition.ToWire());
        }

        Log.SentLookedUp(logger, tenant, sessionId, wanted.Count, found.Count);
        return found;
    }
}
