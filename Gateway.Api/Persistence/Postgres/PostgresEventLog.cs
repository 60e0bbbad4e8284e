using System.Buffers;
using System.Data;
using System.Diagnostics;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Persistence;
using Npgsql;

namespace Gateway.Api.Persistence.Postgres;

/// <summary>
/// The read side and the retention of the event journal on PostgreSQL (<see cref="IEventLog"/>), with the SQLite store's
/// semantics (the shared contract tests hold both to <see cref="InMemoryPoolStore"/>'s). The stored size of an event is
/// the length of its sealed text, as there.
/// </summary>
internal sealed class PostgresEventLog(PostgresDatabase database, PayloadProtector payloads, ILogger logger) : IEventLog
{
    /// <summary>Rows deleted per transaction when trimming by age, so appends wait for one chunk, not the whole backlog.</summary>
    private const int TrimChunk = 2_000;

    // The head is the authority; max(event_id) only guards against a head row gone missing.
    private const string LastEventId = """
        GREATEST(coalesce((SELECT last_event_id FROM session_event_heads WHERE tenant = @tenant AND session_id = @session), 0),
                 coalesce((SELECT max(event_id) FROM events WHERE tenant = @tenant AND session_id = @session), 0))
        """;

    public async Task<EventPage> ReadAsync(string tenant, string sessionId, long afterEventId, int limit, long maxBytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(sessionId);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        await using var connection = await database.OpenAsync(cancellationToken);

        // One snapshot: bounds and page agree while writers (of this node or another) commit.
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        long? storedOldest;
        long last;
        await using (var bounds = Command(connection, transaction, $"SELECT (SELECT min(event_id) FROM events WHERE tenant = @tenant AND session_id = @session), {LastEventId}", tenant, sessionId))
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
            tenant,
            sessionId);
        var after = new NpgsqlParameter<long> { ParameterName = "after" };
        var take = new NpgsqlParameter<int> { ParameterName = "limit" };
        command.Parameters.Add(after);
        command.Parameters.Add(take);

        await EventRowReader.ReadPageAsync(command, after, take, tenant, sessionId, afterEventId, limit, maxBytes, payloads, logger, events, cancellationToken);

        await transaction.CommitAsync(cancellationToken);
        return new EventPage(events, oldest, last, Gap: afterEventId + 1 < oldest);
    }

    public async Task<JournalHead> GetHeadAsync(string tenant, string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(sessionId);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = Command(
            connection,
            null,
            $"SELECT {LastEventId}, (SELECT archive_cursor FROM session_event_heads WHERE tenant = @tenant AND session_id = @session)",
            tenant,
            sessionId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new JournalHead(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1));
    }

    public async Task<MessageStatus?> FindMessageStatusAsync(string tenant, string sessionId, string messageId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(sessionId);
        ArgumentNullException.ThrowIfNull(messageId);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = Command(
            connection,
            null,
            """
            SELECT event_id, received_at, kind, data FROM events
            WHERE tenant = @tenant AND session_id = @session AND message_id = @message AND kind = @kind
            ORDER BY event_id DESC LIMIT 1
            """,
            tenant,
            sessionId);
        command.Parameters.AddWithValue("message", messageId);
        command.Parameters.AddWithValue("kind", SessionEventCodec.StatusKind);
        return await EventRowReader.ReadStatusAsync(command, tenant, sessionId, payloads, logger, cancellationToken);
    }

    public async Task<bool> HasReceivedMessageAsync(string tenant, string sessionId, string archiveId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(sessionId);
        ArgumentNullException.ThrowIfNull(archiveId);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = Command(
            connection,
            null,
            "SELECT 1 FROM events WHERE tenant = @tenant AND session_id = @session AND message_id = @archive AND kind = @kind LIMIT 1",
            tenant,
            sessionId);
        command.Parameters.AddWithValue("archive", archiveId);
        command.Parameters.AddWithValue("kind", SessionEventCodec.MessageKind);
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    /// <summary>
    /// Retention as the SQLite store applies it (age first, in chunks, then count per session), in short transactions.
    /// Every node may trim at once: the age chunks skip rows another node is deleting (<c>SKIP LOCKED</c>), so trims
    /// neither wait for nor deadlock with each other.
    /// </summary>
    public async Task TrimAsync(int maxEventsPerSession, DateTimeOffset olderThan, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxEventsPerSession);
        var started = Stopwatch.GetTimestamp();
        long byAge = 0;
        while (true)
        {
            var deleted = await ExecuteAsync(
                "trim by age",
                """
                DELETE FROM events WHERE ctid = ANY (ARRAY(
                    SELECT ctid FROM events WHERE received_at < @cutoff LIMIT @chunk FOR UPDATE SKIP LOCKED))
                """,
                cancellationToken,
                ("cutoff", olderThan.UtcTicks),
                ("chunk", TrimChunk));
            byAge += deleted;
            if (deleted < TrimChunk)
            {
                break;
            }
        }

        long byCount = 0;
        foreach (var (tenant, sessionId) in await SessionsOverCountAsync(maxEventsPerSession, cancellationToken))
        {
            // The (maxEventsPerSession + 1)-th newest event and everything before it go; NULL (few enough) deletes nothing.
            byCount += await ExecuteAsync(
                "trim by count",
                """
                DELETE FROM events WHERE tenant = @tenant AND session_id = @session AND event_id <= (
                    SELECT event_id FROM events WHERE tenant = @tenant AND session_id = @session
                    ORDER BY event_id DESC LIMIT 1 OFFSET @max)
                """,
                cancellationToken,
                ("tenant", tenant),
                ("session", sessionId),
                ("max", maxEventsPerSession));
        }

        PersistenceLog.Trimmed(logger, byAge, olderThan, byCount, maxEventsPerSession, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    public async Task TrimToBytesAsync(long maxBytesPerSession, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytesPerSession);
        var started = Stopwatch.GetTimestamp();
        var cutoffs = new List<(string Tenant, string Session, long Cutoff)>();
        await using (var connection = await database.OpenAsync(cancellationToken))
        await using (var command = connection.CreateCommand())
        {
            // Per session, the newest event whose running total (newest first) exceeds the bytes: it and everything
            // older go, except a session's newest event, which stays whatever its size.
            command.CommandText = """
                SELECT tenant, session_id, max(event_id) FROM (
                    SELECT tenant, session_id, event_id,
                        sum(length(data)) OVER (PARTITION BY tenant, session_id ORDER BY event_id DESC ROWS UNBOUNDED PRECEDING) AS total,
                        row_number() OVER (PARTITION BY tenant, session_id ORDER BY event_id DESC) AS position
                    FROM events) AS sized
                WHERE total > @max AND position > 1
                GROUP BY tenant, session_id
                """;
            command.Parameters.AddWithValue("max", maxBytesPerSession);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                cutoffs.Add((reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
            }
        }

        long deleted = 0;
        foreach (var (tenant, sessionId, cutoff) in cutoffs)
        {
            deleted += await ExecuteAsync(
                "trim to bytes",
                "DELETE FROM events WHERE tenant = @tenant AND session_id = @session AND event_id <= @cutoff",
                cancellationToken,
                ("tenant", tenant),
                ("session", sessionId),
                ("cutoff", cutoff));
        }

        PersistenceLog.TrimmedToBytes(logger, deleted, cutoffs.Count, maxBytesPerSession, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>
    /// Sessions that may hold more than <paramref name="maxEventsPerSession"/> events: ids grow by one per event, so a
    /// session whose oldest id is within the last <paramref name="maxEventsPerSession"/> ids cannot.
    /// </summary>
    private async Task<List<(string Tenant, string Session)>> SessionsOverCountAsync(int maxEventsPerSession, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT h.tenant, h.session_id FROM session_event_heads AS h
            WHERE (SELECT min(e.event_id) FROM events AS e WHERE e.tenant = h.tenant AND e.session_id = h.session_id)
                  <= h.last_event_id - @max
            """;
        command.Parameters.AddWithValue("max", (long)maxEventsPerSession);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var sessions = new List<(string, string)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            sessions.Add((reader.GetString(0), reader.GetString(1)));
        }

        return sessions;
    }

    /// <summary>One statement in its own transaction, run again if the server picks it as a deadlock victim; returns the rows changed.</summary>
    private Task<int> ExecuteAsync(string operation, string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters) =>
        database.RetryAsync(
            operation,
            async token =>
            {
                await using var connection = await database.OpenAsync(token);
                await using var command = new NpgsqlCommand(sql, connection);
                foreach (var (name, value) in parameters)
                {
                    command.Parameters.AddWithValue(name, value);
                }

                return await command.ExecuteNonQueryAsync(token);
            },
            cancellationToken);

    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, string tenant, string sessionId)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.AddWithValue("tenant", tenant);
        command.Parameters.AddWithValue("session", sessionId);
        return command;
    }
}
