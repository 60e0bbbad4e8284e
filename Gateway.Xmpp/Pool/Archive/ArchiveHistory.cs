// XEP-0313: Message Archive Management (v1.1.1) https://xmpp.org/extensions/xep-0313.html
namespace Gateway.Xmpp.Pool;

/// <summary>
/// A session's history reads for the API: each a single page through the session's <see cref="ArchiveQueries"/>, so
/// its results are routed by queryid and never published as live messages. Bounded: a page holds at most
/// <see cref="MaxPageSize"/> results whatever the server sends, and at most <see cref="MaxConcurrentQueries"/> run at
/// once per session (more wait), so a session's memory for history is a few pages.
/// </summary>
/// <param name="queries">Runs and routes the session's archive queries.</param>
/// <param name="connection">The session's current connection; null while it has none.</param>
/// <param name="unavailable">The exception for a session without a connection.</param>
/// <param name="iqTimeout">How long the server may take to answer a page.</param>
internal sealed class ArchiveHistory(ArchiveQueries queries, Func<IXmppConnection?> connection, Func<SessionUnavailableException> unavailable, TimeSpan iqTimeout) : IArchiveHistory
{
    /// <summary>The most a page may ask for: what a client pages through comfortably, twice Prosody's default cap.</summary>
    public const int MaxResults = 100;

    /// <summary>History queries one session runs at once.</summary>
    public const int MaxConcurrentQueries = 4;

    private readonly SemaphoreSlim _running = new(MaxConcurrentQueries, MaxConcurrentQueries);

    public int MaxPageSize => MaxResults;

    public async Task<ArchiveResults> QueryAsync(ArchiveQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Max, 1, nameof(query));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.Max, MaxResults, nameof(query));
        await _running.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var current = connection() ?? throw unavailable();
            var (results, page) = await queries.QueryPageAsync(current, query, iqTimeout, cancellationToken).ConfigureAwait(false);
            return new ArchiveResults(results, page);
        }
        finally
        {
            _running.Release();
        }
    }
}
