// XEP-0313: Message Archive Management (v1.1.1) https://xmpp.org/extensions/xep-0313.html
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Gateway.Xmpp.Pool;

/// <summary>
/// Runs a session's own queries of its account's archive, one page at a time, and routes their results: results of a
/// running query are collected for it; results of one of ours that already ended (its connection dropped and a resumed
/// stream delivered the rest) are dropped, since archive copies are never live messages; results of anyone else's
/// query (an application's, through the API) pass on untouched.
/// </summary>
internal sealed class ArchiveQueries(Jid account)
{
    /// <summary>Marks the query ids this session chose, so results of its ended queries can be told from an application's.</summary>
    private const string QueryIdPrefix = "gw-";

    // Per session and rarely more than one query at a time: one lock and a few buckets, not a lock per core and 31 buckets.
    private readonly ConcurrentDictionary<string, ConcurrentQueue<ArchivedMessage>> _running = new(concurrencyLevel: 1, capacity: 2, StringComparer.Ordinal);
    private readonly ConditionalWeakTable<IXmppConnection, IDisposable> _attached = new();

    public Jid Account { get; } = account.Bare;

    /// <summary>Routes the connection's archive results through this session's queries (once per connection).</summary>
    public void Attach(IXmppConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (!_attached.TryGetValue(connection, out _))
        {
            _attached.AddOrUpdate(connection, connection.AddMessageFilter(Route));
        }
    }

    /// <summary>Queries one page; returns its results (oldest first, as the server sent them) and its end.</summary>
    /// <exception cref="StanzaErrorException">The server refused the query (no MAM, an unknown id).</exception>
    public async Task<(IReadOnlyList<ArchivedMessage> Results, ArchivePage Page)> QueryPageAsync(IXmppConnection connection, ArchiveQuery query, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        Attach(connection);
        var queryId = QueryIdPrefix + StanzaId.New();
        var collected = new ConcurrentQueue<ArchivedMessage>();
        _running[queryId] = collected;
        try
        {
            // Results arrive before the IQ result that ends the query, in stream order, so all of them are in by then.
            var fin = MamElements.ReadFin(await connection.SendIqAsync(MamElements.Query(queryId, query), timeout, cancellationToken).ConfigureAwait(false));
            return ([.. collected], fin);
        }
        finally
        {
            _running.TryRemove(queryId, out _);
        }
    }

    /// <summary>Runs on the connection's reader: takes our queries' results, passes everything else on.</summary>
    private bool Route(Message message)
    {
        if (MamElements.TryReadResult(message) is not { } result
            || (message.From is not null && message.From.Bare != Account)
            || !result.QueryId.StartsWith(QueryIdPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        if (_running.TryGetValue(result.QueryId, out var collected))
        {
            collected.Enqueue(result);
        }

        return true;
    }
}
