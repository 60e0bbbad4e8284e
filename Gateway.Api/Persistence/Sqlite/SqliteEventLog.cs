using System.Buffers;
using System.Diagnostics;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Persistence;
using Microsoft.Data.Sqlite;

namespace Gateway.Api.Persistence.Sqlite;

/// <summary>The read side and the retention of the event journal in the SQLite file (<see cref="IEventLog"/>): same semantics as <see cref="InMemoryPoolStore"/>, held to it by a shared contract test.</summary>
internal sealed class SqliteEventLog(SqliteDatabase database, PayloadProtector payloads, ILogger logger) : IEventLog
{
    /// <summary>Rows deleted per transaction when trimming by age, so appends wait for one chunk, not the whole backlog.</summary>
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
        await using var connection = await database.OpenReaderAsync(cancellationToken);

        // One read snapshot (deferred BEGIN takes no write lock): bounds and page agree while the writer commits.
        using var transaction = connection.BeginTransaction(deferred: true);
        var (storedOldest, last) = await ReadBoundsAsync(connection, transaction, tenant, sessionId, cancellationToken);
        if (storedOldest is not { } oldest)
        {
            return new EventPage([], 0, last, Gap: afterEventId < last);
        }

        var events = new List<SessionEvent>(Math.Clamp(limit, 0, 1_024));
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            SELECT event_id, received_at, kind, data, message_id FROM events
            WHERE tenant = $tenant AND session_id = $session AND event_id > $after
            ORDER BY event_id LIMIT $limit
            """;
        command.Parameters.AddWithValue("$tenant", tenant);
        command.Parameters.AddWithValue("$session", sessionId);
        var after = command.Parameters.Add("$after", SqliteType.Integer);
        var take = command.Parameters.Add("$limit", SqliteType.Integer);

        await EventRowReader.ReadPageAsync(command, after, take, tenant, sessionId, afterEventId, limit, maxBytes, payloads, logger, events, cancellationToken);

        return new EventPage(events, oldest, last, Gap: afterEventId + 1 < oldest);
    }

    public async Task<JournalHead> GetHeadAsync(string tenant, string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(sessionId);
        await using var connection = await database.OpenReaderAsync(cancellationToken);
        await using var command = connection.CreateCommand();

        // The head is the authority; max(event_id) only guards against a head row gone missing.
        command.CommandText = """
            SELECT
                max(coalesce((SELECT last_event_id FROM session_event_heads WHERE tenant = $tenant AND session_id = $session), 0),
                    coalesce((SELECT max(event_id) FROM events WHERE tenant = $tenant AND session_id = $session), 0)),
                (SELECT archive_cursor FROM session_event_heads WHERE tenant = $tenant AND session_id = $session)
            """;
        command.Parameters.AddWithValue("$tenant", tenant);
        command.Parameters.AddWithValue("$session", sessionId);
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
        await using var connection = await database.OpenReaderAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT event_id, received_at, kind, data FROM events
            WHERE tenant = $tenant AND session_id = $session AND message_id = $message AND kind = $kind
            ORDER BY event_id DESC LIMIT 1
            """;
        command.Parameters.AddWithValue("$tenant", tenant);
        command.Parameters.AddWithValue("$session", sessionId);
        command.Parameters.AddWithValue("$message", messageId);
        command.Parameters.AddWithValue("$kind", SessionEventCodec.StatusKind);
        return await EventRowReader.ReadStatusAsync(command, tenant, sessionId, payloads, logger, cancellationToken);
    }

    /// <summary>One index seek (<see cref="IEventLog.HasReceivedMessageAsync"/>).</summary>
    public async Task<bool> HasReceivedMessageAsync(string tenant, string sessionId, string archiveId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(sessionId);
        ArgumentNullException.ThrowIfNull(archiveId);
        await using var connection = await database.OpenReaderAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT 1 FROM events
            WHERE tenant = $tenant AND session_id = $session AND message_id = $archive AND kind = $kind
            LIMIT 1
            """;
        command.Parameters.AddWithValue("$tenant", tenant);
        command.Parameters.AddWithValue("$session", sessionId);
        command.Parameters.AddWithValue("$archive", archiveId);
        command.Parameters.AddWithValue("$kind", SessionEventCodec.MessageKind);
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    /// <summary>
    /// Applies retention as <see cref="InMemoryPoolStore"/> does (age first, then count), in short transactions so that
    /// appends are not held up. The per-session last ids are kept.
    /// </summary>
    public async Task TrimAsync(int maxEventsPerSession, DateTimeOffset olderThan, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxEventsPerSession);
        var started = Stopwatch.GetTimestamp();
        var cutoff = olderThan.UtcTicks;
        long byAge = 0;
        while (true)
        {
            var deleted = await database.WriteAsync(
                transaction =>
                {
                    using var command = database.WriterCommand(
                        transaction,
                        "DELETE FROM events WHERE rowid IN (SELECT rowid FROM events WHERE received_at < $cutoff LIMIT $chunk)");
                    command.Parameters.AddWithValue("$cutoff", cutoff);
                    command.Parameters.AddWithValue("$chunk", TrimChunk);
                    return command.ExecuteNonQuery();
                },
                cancellationToken);
            byAge += deleted;
            if (deleted < TrimChunk)
            {
                break;
            }
        }

        long byCount = 0;
        foreach (var (tenant, sessionId) in await SessionsOverCountAsync(maxEventsPerSession, cancellationToken))
        {
            byCount += await database.WriteAsync(
                transaction =>
                {
                    // The (maxEventsPerSession + 1)-th newest event and everything before it go; NULL (few enough) deletes nothing.
                    using var command = database.WriterCommand(
                        transaction,
                        """
                        DELETE FROM events WHERE tenant = $tenant AND session_id = $session AND event_id <= (
                            SELECT event_id FROM events WHERE tenant = $tenant AND session_id = $session
                            ORDER BY event_id DESC LIMIT 1 OFFSET $max)
                        """);
                    command.Parameters.AddWithValue("$tenant", tenant);
                    command.Parameters.AddWithValue("$session", sessionId);
                    command.Parameters.AddWithValue("$max", maxEventsPerSession);
                    return command.ExecuteNonQuery();
                },
                cancellationToken);
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
        await using (var connection = await database.OpenReaderAsync(cancellationToken))
        await using (var command = connection.CreateCommand())
        {
            // Per session, the newest event whose running total (newest first) exceeds the bytes: it and everything
            // older go, except a session's newest event, which stays whatever its size.
            command.CommandText = """
                SELECT tenant, session_id, max(event_id) FROM (
                    SELECT tenant, session_id, event_id,
                        sum(length(data)) OVER (PARTITION BY tenant, session_id ORDER BY event_id DESC ROWS UNBOUNDED PRECEDING) AS total,
                        row_number() OVER (PARTITION BY tenant, session_id ORDER BY event_id DESC) AS position
                    FROM events)
                WHERE total > $max AND position > 1
                GROUP BY tenant, session_id
                """;
            command.Parameters.AddWithValue("$max", maxBytesPerSession);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                cutoffs.Add((reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
            }
        }

        long deleted = 0;
        foreach (var (tenant, sessionId, cutoff) in cutoffs)
        {
            deleted += await database.WriteAsync(
                transaction =>
                {
                    using var command = database.WriterCommand(transaction, "DELETE FROM events WHERE tenant = $tenant AND session_id = $session AND event_id <= $cutoff");
                    command.Parameters.AddWithValue("$tenant", tenant);
                    command.Parameters.AddWithValue("$session", sessionId);
                    command.Parameters.AddWithValue("$cutoff", cutoff);
                    return command.ExecuteNonQuery();
                },
                cancellationToken);
        }

        PersistenceLog.TrimmedToBytes(logger, deleted, cutoffs.Count, maxBytesPerSession, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>The oldest stored id (null when none is stored) and the last id ever appended (0 when none).</summary>
    private static async Task<(long? Oldest, long Last)> ReadBoundsAsync(
        SqliteConnection connection, SqliteTransaction transaction, string tenant, string sessionId, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;

        // The head is the authority; max(event_id) only guards against a head row gone missing.
        command.CommandText = """
            SELECT
                (SELECT min(event_id) FROM events WHERE tenant = $tenant AND session_id = $session),
                max(coalesce((SELECT last_event_id FROM session_event_heads WHERE tenant = $tenant AND session_id = $session), 0),
                    coalesce((SELECT max(event_id) FROM events WHERE tenant = $tenant AND session_id = $session), 0))
            """;
        command.Parameters.AddWithValue("$tenant", tenant);
        command.Parameters.AddWithValue("$session", sessionId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.IsDBNull(0) ? null : reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>
    /// Sessions that may hold more than <paramref name="maxEventsPerSession"/> events. Ids grow by one per event, so
    /// a session whose oldest id is within the last <paramref name="maxEventsPerSession"/> ids cannot: an index seek
    /// per session instead of counting every row.
    /// </summary>
    private async Task<List<(string Tenant, string Session)>> SessionsOverCountAsync(int maxEventsPerSession, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReaderAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT h.tenant, h.session_id FROM session_event_heads AS h
            WHERE (SELECT min(e.event_id) FROM events AS e WHERE e.tenant = h.tenant AND e.session_id = h.session_id)
                  <= h.last_event_id - $max
            """;
        command.Parameters.AddWithValue("$max", maxEventsPerSession);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var sessions = new List<(string, string)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            sessions.Add((reader.GetString(0), reader.GetString(1)));
        }

        return sessions;
    }
}
