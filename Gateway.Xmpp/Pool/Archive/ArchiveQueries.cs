// XEP-0313: Message Archive Management (v1.1.1) https://xmpp.org/extensions/xep-0313.html
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Gateway.Xmpp.Pool;

/// <summary>
/// Runs a session's own archive queries (the catch-up's, the sent-message lookup's, the history API's), one page at a
/// time, and routes their results by queryid: results of a running query of ours are collected for it (at most as many
/// as it asked for); late results of one of ours that already ended (it timed out, or its connection dropped and a
/// resumed stream delivered the rest) are dropped, since archive copies are never live messages. Everything else —
/// results of an application's own query through the API, whatever queryid it chose — passes on untouched, as an
/// ordinary message.
/// </summary>
/// <remarks>
/// A result counts as ours only when it carries a queryid this session generated (random, so no one else can guess a
/// running one) and comes from the archive the query went to: the account's bare JID or no 'from' for the own archive
/// (XEP-0313 §4.2, RFC 6120 §8.1.2.1), the room's bare JID for a room's. Anything else is an ordinary message from its
/// sender, however it looks: a stranger cannot feed "archive results" into a query.
/// </remarks>
internal sealed class ArchiveQueries(Jid account)
{
    /// <summary>How many ended query ids are remembered, so their late results are dropped rather than published.</summary>
    internal const int EndedCapacity = 64;

    /// <summary>Marks the query ids this session chose (readability in logs and captures; routing goes by the exact id).</summary>
    private const string QueryIdPrefix = "gw-";

    // Per session and rarely more than a few queries at a time: one lock and a few buckets, not a lock per core and 31 buckets.
    private readonly ConcurrentDictionary<string, RunningQuery> _running = new(concurrencyLevel: 1, capacity: 2, StringComparer.Ordinal);
    private readonly ConditionalWeakTable<IXmppConnection, IDisposable> _attached = new();
    private readonly Dictionary<string, Jid?> _ended = new(StringComparer.Ordinal);
    private readonly Queue<string> _endedOrder = new();
    private readonly Lock _endedGate = new();

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

    /// <summary>
    /// Queries one page of the archive <paramref name="query"/> names; returns its results (oldest first, as the server
    /// sent them, at most <see cref="ArchiveQuery.Max"/>) and its end.
    /// </summary>
    /// <exception cref="StanzaErrorException">The server refused the query (no MAM, an unknown id, not allowed).</exception>
    /// <exception cref="XmppTimeoutException">No answer within <paramref name="timeout"/>.</exception>
    public async Task<(IReadOnlyList<ArchivedMessage> Results, ArchivePage Page)> QueryPageAsync(IXmppConnection connection, ArchiveQuery query, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        Attach(connection);
        var queryId = QueryIdPrefix + StanzaId.New();
        var running = new RunningQuery(query.Archive?.Bare, query.Max);
        _running[queryId] = running;
        try
        {
            // XEP-0313 §4.2: results arrive before the IQ result that ends the query, in stream order, so all are in by then.
            var fin = MamElements.ReadFin(await connection.SendIqAsync(MamElements.Query(queryId, query), timeout, cancellationToken).ConfigureAwait(false));
            return (running.Take(), fin);
        }
        finally
        {
            _running.TryRemove(queryId, out _);
            Ended(queryId, running.Archive);
        }
    }

    /// <summary>Runs on the connection's reader: takes our queries' results, passes everything else on.</summary>
    internal bool Route(Message message)
    {
        if (MamElements.ResultQueryId(message) is not { Length: > 0 } queryId)
        {
            return false;
        }

        if (_running.TryGetValue(queryId, out var running))
        {
            if (!FromArchive(message, running.Archive) || MamElements.TryReadResult(message) is not { } result)
            {
                return false;
            }

            running.Add(result);
            return true;
        }

        lock (_endedGate)
        {
            return _ended.TryGetValue(queryId, out var archive) && FromArchive(message, archive);
        }
    }

    /// <summary>Whether the message comes from the archive asked: the own (no 'from', or the account's bare JID) or the room.</summary>
    private bool FromArchive(Message message, Jid? archive) =>
        archive is null
            ? message.From is null || message.From == Account
            : message.From == archive;

    private void Ended(string queryId, Jid? archive)
    {
        lock (_endedGate)
        {
            if (_ended.TryAdd(queryId, archive))
            {
                _endedOrder.Enqueue(queryId);
            }

            while (_endedOrder.Count > EndedCapacity)
            {
                _ended.Remove(_endedOrder.Dequeue());
            }
        }
    }

    /// <summary>One query's results so far: at most what it asked for, whatever the server sends (the rest is dropped).</summary>
    private sealed class RunningQuery(Jid? archive, int max)
    {
        private readonly List<ArchivedMessage> _results = [];

        public Jid? Archive { get; } = archive;

        public void Add(ArchivedMessage result)
        {
            lock (_results)
            {
                if (_results.Count < max)
                {
                    _results.Add(result);
                }
            }
        }

        public IReadOnlyList<ArchivedMessage> Take()
        {
            lock (_results)
            {
                return [.. _results];
            }
        }
    }
}
