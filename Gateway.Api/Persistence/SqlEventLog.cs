using System.Data;
using System.Data.Common;
using System.Diagnostics;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Persistence;

namespace Gateway.Api.Persistence;

/// <summary>
/// The read side and the retention of the event journal (<see cref="IEventLog"/>) as both SQL stores run them, with
/// <see cref="InMemoryPoolStore"/>'s semantics (held to them by the shared contract tests): the page and gap rules, the
/// rows read and unsealed (<see cref="EventRowReader"/>), retention by age, count and bytes in short transactions. The
/// stored size of an event is the length of its sealed text. The SQL is written once in the syntax SQLite and
/// PostgreSQL share (<c>@name</c> parameters); a provider brings its connections, its read snapshot, how a write runs,
/// and what its dialect words differently.
/// </summary>
internal abstract class SqlEventLog<TConnection>(PayloadProtector payloads, ILogger logger) : IEventLog
    where TConnection : DbConnection
{
    /// <summary>Rows (by age) or ids (by count and bytes) deleted per transaction, so appends wait for one chunk, not the whole backlog.</summary>
    private const int TrimChunk = 2_000;

    /// <summary>
    /// A page of the session's events (<see cref="IEventLog.ReadAsync"/>). The stored payload counted against
    /// <paramref name="maxBytes"/> is the length of the sealed text in the database; a row that cannot be decoded is
    /// logged (5511), skipped and counted.
    /// </summary>
    public async Task<EventPage> ReadAsync(string tenant, string sessionId, long afterEventId, int limit, long maxBytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(sessionId);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        await using var connection = await OpenAsync(cancellationToken);

        // One snapshot: bounds and page agree while writers commit.
        await using var transaction = await BeginSnapshotAsync(connection, cancellationToken);
        long? storedOldest;
        long last;
        await using (var bounds = Command(
            connection,
            transaction,
            $"SELECT (SELECT min(event_id) FROM events WHERE tenant = @tenant AND session_id = @session), {LastEventId}",
            ("@tenant", tenant),
            ("@session", sessionId)))
        await using (var reader = await bounds.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            storedOldest = reader.IsDBNull(0) ? null : reader.GetInt64(0);
            last = reader.GetInt64(1);
        }

        if (storedOldest is not { } oldest)
        {
            return new EventPage([], 0, last, Gap: afterEventId < last);
        }

        var events = new List<SessionEvent>(Math.Clamp(limit, 0, 1_024));
        await using var command = Command(
            connection,
            transaction,
            """
            SELECT event_id, received_at, kind, data, message_id FROM events
            WHERE tenant = @tenant AND session_id = @session AND event_id > @after
            ORDER BY event_id LIMIT @limit
            """,
            ("@tenant", tenant),
            ("@session", sessionId));
        var after = Parameter(command, "@after", DbType.Int64);
        var take = Parameter(command, "@limit", DbType.Int32);

        await EventRowReader.ReadPageAsync(command, after, take, tenant, sessionId, afterEventId, limit, maxBytes, payloads, logger, events, cancellationToken);

        await transaction.CommitAsync(cancellationToken);
        return new EventPage(events, oldest, last, Gap: afterEventId + 1 < oldest);
    }

    public async Task<JournalHead> GetHeadAsync(string tenant, string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(sessionId);
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(
            connection,
            null,
            $"SELECT {LastEventId}, (SELECT archive_cursor FROM session_event_heads WHERE tenant = @tenant AND session_id = @session)",
            ("@tenant", tenant),
            ("@session", sessionId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new JournalHead(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1));
    }

    /// <summary>The newest status event journaled for the message (<see cref="IEventLog.FindMessageStatusAsync"/>): one index seek, one row decrypted.</summary>
    public async Task<MessageStatus?> FindMessageStatusAsync(string tenant, string sessionId, string messageId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(sessionId);
        ArgumentNullException.ThrowIfNull(messageId);
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(
            connection,
            null,
            """
            SELECT event_id, received_at, kind, data FROM events
            WHERE tenant = @tenant AND session_id = @session AND message_id = @message AND kind = @kind
            ORDER BY event_id DESC LIMIT 1
            """,
            ("@tenant", tenant),
            ("@session", sessionId),
            ("@message", messageId),
            ("@kind", SessionEventCodec.StatusKind));
        return await EventRowReader.ReadStatusAsync(command, tenant, sessionId, payloads, logger, cancellationToken);
    }

    /// <summary>One index seek (<see cref="IEventLog.HasReceivedMessageAsync"/>).</summary>
    public async Task<bool> HasReceivedMessageAsync(string tenant, string sessionId, string archiveId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(sessionId);
        ArgumentNullException.ThrowIfNull(archiveId);
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(
            connection,
            null,
            "SELECT 1 FROM events WHERE tenant = @tenant AND session_id = @session AND message_id = @archive AND kind = @kind LIMIT 1",
            ("@tenant", tenant),
            ("@session", sessionId),
            ("@archive", archiveId),
            ("@kind", SessionEventCodec.MessageKind));
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    /// <summary>
    /// Applies retention as <see cref="InMemoryPoolStore"/> does (age first, then count per session), in transactions of at
    /// most <see cref="TrimChunk"/> so that appends are not held up. The per-session last ids are kept.
    /// </summary>
    public async Task TrimAsync(int maxEventsPerSession, DateTimeOffset olderThan, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxEventsPerSession);
        var started = Stopwatch.GetTimestamp();
        long byAge = 0;
        while (true)
        {
            // Until a chunk deletes nothing: SQLite's looks at the oldest rows in commit order, where a row stamped
            // later than those behind it makes a chunk delete fewer than it holds without being the last.
            var deleted = await ExecuteAsync("trim by age", TrimByAgeSql, cancellationToken, ("@cutoff", olderThan.UtcTicks), ("@chunk", TrimChunk));
            byAge += deleted;
            if (deleted == 0)
            {
                break;
            }
        }

        long byCount = 0;
        foreach (var (tenant, sessionId) in await SessionsOverCountAsync(maxEventsPerSession, cancellationToken))
        {
            // The (maxEventsPerSession + 1)-th newest event and everything before it go; none (few enough) deletes nothing.
            var cutoff = await ReadEventIdAsync(
                "SELECT event_id FROM events WHERE tenant = @tenant AND session_id = @session ORDER BY event_id DESC LIMIT 1 OFFSET @max",
                tenant,
                sessionId,
                cancellationToken,
                ("@max", (long)maxEventsPerSession));
            if (cutoff is { } upTo)
            {
                byCount += await DeleteUpToAsync("trim by count", tenant, sessionId, upTo, cancellationToken);
            }
        }

        PersistenceLog.Trimmed(logger, byAge, olderThan, byCount, maxEventsPerSession, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>
    /// Applies the byte retention (<see cref="IEventLog.TrimToBytesAsync"/>), measuring each row as
    /// <see cref="ReadAsync"/> does (the length of its sealed text): one read of the sessions over the bytes, then one
    /// short transaction per such session. The read scans the stored lengths of every row: what a size column would
    /// save, at the cost of a schema change.
    /// </summary>
    public async Task TrimToBytesAsync(long maxBytesPerSession, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytesPerSession);
        var started = Stopwatch.GetTimestamp();
        var cutoffs = new List<(string Tenant, string Session, long Cutoff)>();
        await using (var connection = await OpenAsync(cancellationToken))
        await using (var command = Command(
            connection,
            null,

            // Per session, the newest event whose running total (newest first) exceeds the bytes: it and everything
            // older go, except a session's newest event, which stays whatever its size.
            """
            SELECT tenant, session_id, max(event_id) FROM (
                SELECT tenant, session_id, event_id,
                    sum(length(data)) OVER (PARTITION BY tenant, session_id ORDER BY event_id DESC ROWS UNBOUNDED PRECEDING) AS total,
                    row_number() OVER (PARTITION BY tenant, session_id ORDER BY event_id DESC) AS position
                FROM events) AS sized
            WHERE total > @max AND position > 1
            GROUP BY tenant, session_id
            """,
            ("@max", maxBytesPerSession)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                cutoffs.Add((reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
            }
        }

        long deleted = 0;
        foreach (var (tenant, sessionId, cutoff) in cutoffs)
        {
            deleted += await DeleteUpToAsync("trim to bytes", tenant, sessionId, cutoff, cancellationToken);
        }

        PersistenceLog.TrimmedToBytes(logger, deleted, cutoffs.Count, maxBytesPerSession, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>The dialect's two-argument maximum (<c>max</c> in SQLite, <c>GREATEST</c> in PostgreSQL).</summary>
    protected abstract string Greatest { get; }

    /// <summary>Deletes at most <c>@chunk</c> events received before <c>@cutoff</c>.</summary>
    protected abstract string TrimByAgeSql { get; }

    /// <summary>An open connection for reading.</summary>
    protected abstract Task<TConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>A read transaction in which every query sees the same committed state.</summary>
    protected abstract ValueTask<DbTransaction> BeginSnapshotAsync(TConnection connection, CancellationToken cancellationToken);

    /// <summary>One statement in a write transaction of its own (<paramref name="operation"/> names it for logs); returns the rows changed.</summary>
    protected abstract Task<long> ExecuteAsync(string operation, string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters);

    /// <summary>The last id ever appended to the session (0 when none): the head is the authority; max(event_id) only guards against a head row gone missing.</summary>
    private string LastEventId => $"""
        {Greatest}(coalesce((SELECT last_event_id FROM session_event_heads WHERE tenant = @tenant AND session_id = @session), 0),
            coalesce((SELECT max(event_id) FROM events WHERE tenant = @tenant AND session_id = @session), 0))
        """;

    private static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            Parameter(command, name, null).Value = value;
        }

        return command;
    }

    private static DbParameter Parameter(DbCommand command, string name, DbType? type)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        if (type is { } known)
        {
            parameter.DbType = known;
        }

        command.Parameters.Add(parameter);
        return parameter;
    }

    /// <summary>
    /// Deletes a session's events up to <paramref name="cutoff"/>, oldest first, at most <see cref="TrimChunk"/> ids per
    /// transaction. The store has one writer: a session's backlog deleted in one statement holds every session's appends,
    /// its sends and inbound messages, until it is done (about half a second for 170,000 events on the 2-core test
    /// machine). Ids grow by one per event, so a chunk of ids is a chunk of rows; a gap is skipped by reading the
    /// oldest id again.
    /// </summary>
    private async Task<long> DeleteUpToAsync(string operation, string tenant, string sessionId, long cutoff, CancellationToken cancellationToken)
    {
        const string Oldest = "SELECT min(event_id) FROM events WHERE tenant = @tenant AND session_id = @session";
        long deleted = 0;
        var from = await ReadEventIdAsync(Oldest, tenant, sessionId, cancellationToken);
        while (from is { } first && first <= cutoff)
        {
            var upTo = Math.Min(cutoff, first + TrimChunk - 1);
            var chunk = await ExecuteAsync(
                operation,
                "DELETE FROM events WHERE tenant = @tenant AND session_id = @session AND event_id <= @upTo",
                cancellationToken,
                ("@tenant", tenant),
                ("@session", sessionId),
                ("@upTo", upTo));
            deleted += chunk;
            from = chunk == 0 ? await ReadEventIdAsync(Oldest, tenant, sessionId, cancellationToken) : upTo + 1;
        }

        return deleted;
    }

    /// <summary>The event id a query of one session's events returns, or null when it returns none.</summary>
    private async Task<long?> ReadEventIdAsync(string sql, string tenant, string sessionId, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null, sql, [("@tenant", tenant), ("@session", sessionId), .. parameters]);
        return await command.ExecuteScalarAsync(cancellationToken) is long id ? id : null;
    }

    /// <summary>
    /// Sessions that may hold more than <paramref name="maxEventsPerSession"/> events. Ids grow by one per event, so
    /// a session whose oldest id is within the last <paramref name="maxEventsPerSession"/> ids cannot: an index seek
    /// per session instead of counting every row.
    /// </summary>
    private async Task<List<(string Tenant, string Session)>> SessionsOverCountAsync(int maxEventsPerSession, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(
            connection,
            null,
            """
            SELECT h.tenant, h.session_id FROM session_event_heads AS h
            WHERE (SELECT min(e.event_id) FROM events AS e WHERE e.tenant = h.tenant AND e.session_id = h.session_id)
                  <= h.last_event_id - @max
            """,
            ("@max", (long)maxEventsPerSession));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var sessions = new List<(string, string)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            sessions.Add((reader.GetString(0), reader.GetString(1)));
        }

        return sessions;
    }
}
