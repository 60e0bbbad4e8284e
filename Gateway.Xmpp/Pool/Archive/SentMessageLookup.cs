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
/// <para>
/// Where to look: the server archives a message after whatever it had archived when the gateway accepted it, and the
/// session knew an archive id of that time (its cursor, stored with the message). So the search reads the archive
/// forwards (RSM after) from the cursor of the oldest unconfirmed message: what lies between is only what arrived while
/// those messages were sent, however much arrived since. Without a cursor (a new account, no archive id seen yet), or
/// when the server no longer knows it, it reads backwards from the archive's end (RSM before), limited to what was
/// archived since shortly before the oldest was accepted (a margin for clock skew between gateway and server); that
/// finds them only when what was archived after them fits in the page bound. (It did not, after a crash with the
/// peer sending as fast as the gateway: the unconfirmed messages were more than 2,000 entries behind the end, and 85 of
/// them were sent twice; the forward search is for that.)
/// </para>
/// <para>
/// The search stops as soon as all are found. Bounded by <see cref="DefaultMaxPages"/> pages: past it the rest is resent, at least
/// once rather than never.
/// </para>
/// </remarks>
/// <param name="queries">Queries the account's archive.</param>
/// <param name="positionOf">Where an unconfirmed stanza was accepted (time and archive cursor); null when unknown.</param>
/// <param name="iqTimeout">How long one page may take.</param>
/// <param name="logger">Where the outcome is logged.</param>
/// <param name="tenant">For the log.</param>
/// <param name="sessionId">For the log.</param>
/// <param name="maxPages">The page bound (<see cref="DefaultMaxPages"/>).</param>
internal sealed class SentMessageLookup(ArchiveQueries queries, Func<string, SentPosition?> positionOf, TimeSpan iqTimeout, ILogger logger, string tenant, string sessionId, int maxPages = SentMessageLookup.DefaultMaxPages)
{
    /// <summary>How much earlier than our clock the server's archive time may be.</summary>
    internal static readonly TimeSpan ClockSkewMargin = TimeSpan.FromMinutes(5);

    private const int PageSize = 50;
    /// <summary>Pages of <see cref="PageSize"/> read at most in one direction: 2,000 archived messages.</summary>
    internal const int DefaultMaxPages = 40;

    public async ValueTask<IReadOnlySet<string>> FindHandledAsync(IXmppConnection connection, IReadOnlyList<Stanza> unconfirmed, CancellationToken cancellationToken)
    {
        // Only messages are archived; presence and IQs are simply sent again.
        var wanted = unconfirmed.OfType<Message>().Where(m => m.Id is not null && m.Type is not (MessageType.Groupchat or MessageType.Error)).Select(m => m.Id!).ToHashSet(StringComparer.Ordinal);
        var found = new HashSet<string>(StringComparer.Ordinal);
        if (wanted.Count == 0)
        {
            return found;
        }

        var positions = wanted.Select(positionOf).Where(p => p is not null).Select(p => p!.Value).ToArray();
        var oldest = positions.Length == 0 ? (SentPosition?)null : positions.MinBy(p => p.AcceptedAt);
        var recipients = unconfirmed.OfType<Message>().Select(m => m.To?.Bare).Distinct().ToArray();
        var with = recipients is [{ } only] ? only : null;
        try
        {
            if (oldest?.ArchiveCursor is { } cursor)
            {
                try
                {
                    // Not narrowed to the recipient: a server looks the 'after' id up among the results of the filter, and
                    // the cursor may be a message exchanged with someone else.
                    await SearchAsync(connection, new ArchiveQuery(PageSize) { After = cursor }, forwards: true, wanted, found, cancellationToken).ConfigureAwait(false);
                }
                catch (StanzaErrorException ex) when (ex.Error.Condition == StanzaErrorCondition.ItemNotFound)
                {
                    // XEP-0059 §2.5 / XEP-0313: the server no longer has that id (the archive was trimmed). Search from the end.
                }
            }

            // Whatever the forward search did not find (or no cursor): from the end backwards. A server that does not know
            // the cursor may also have answered from the start of the archive instead of an error (Prosody 0.12's
            // internal store does), which the bound then cut short.
            if (found.Count < wanted.Count)
            {
                await SearchAsync(connection, new ArchiveQuery(PageSize) { Before = "", Start = oldest?.AcceptedAt - ClockSkewMargin, With = with }, forwards: false, wanted, found, cancellationToken).ConfigureAwait(false);
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

    /// <summary>Reads pages in one direction until everything wanted is found, the archive ends, or the page bound.</summary>
    private async Task SearchAsync(IXmppConnection connection, ArchiveQuery query, bool forwards, HashSet<string> wanted, HashSet<string> found, CancellationToken cancellationToken)
    {
        for (var page = 0; page < maxPages; page++)
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

            var next = forwards ? end.Last : end.First;
            if (found.Count == wanted.Count || end.Complete || next is null || results.Count == 0)
            {
                return;
            }

            query = forwards ? query with { After = next } : query with { Before = next };
        }
    }
}
