using System.Diagnostics;
using System.Threading.Channels;
using Gateway.Xmpp.Pool.Persistence;
using Npgsql;
using NpgsqlTypes;

namespace Gateway.Api.Persistence.Postgres;

/// <summary>
/// The write side of journal and outbox on PostgreSQL (<see cref="IPoolStore.CommitAsync"/>), with group commit: callers
/// queue their encoded rows (<see cref="JournalRowEncoder"/>, on their own threads) and one loop writes whatever is
/// queued in one transaction and one round trip, each caller's rows in its order (events, heads, outbox additions,
/// removals), then completes them all. A round trip to a database server costs far more than an SQLite statement, so
/// commits that arrive while one runs share the next.
/// </summary>
/// <remarks>
/// Safe beside other gateway nodes on the same database: a session's events are numbered by the one node that hosts it,
/// inserts are idempotent (<c>ON CONFLICT DO NOTHING</c>), heads only move forward (<c>GREATEST</c>), and a transaction
/// the server aborts as a deadlock victim is run again (<see cref="PostgresDatabase.RetryAsync"/>).
/// </remarks>
internal sealed class PostgresJournalWriter : IAsyncDisposable
{
    /// <summary>Commits waiting for the loop; a caller beyond it waits for room (back-pressure on the pool).</summary>
    private const int QueueCapacity = 1_024;

    /// <summary>Rows one transaction takes when more are queued; a single larger commit still goes whole.</summary>
    private const int MaxRowsPerTransaction = 8_192;

    private static readonly UnnestStatement<EventRow> InsertEvents = new(
        """
        INSERT INTO events (tenant, session_id, event_id, received_at, kind, data, message_id)
        SELECT * FROM unnest($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (tenant, session_id, event_id) DO NOTHING
        """,
        Column((EventRow r) => r.Tenant, NpgsqlDbType.Text),
        Column((EventRow r) => r.SessionId, NpgsqlDbType.Text),
        Column((EventRow r) => r.EventId, NpgsqlDbType.Bigint),
        Column((EventRow r) => r.ReceivedAtTicks, NpgsqlDbType.Bigint),
        Column((EventRow r) => r.Kind, NpgsqlDbType.Text),
        Column((EventRow r) => r.Data, NpgsqlDbType.Text),
        Column((EventRow r) => r.MessageId, NpgsqlDbType.Text));

    // A head written for a cursor alone has last_event_id 0, which GREATEST never prefers; a head written for events
    // alone keeps the cursor it had.
    private static readonly UnnestStatement<HeadRow> UpsertHeads = new(
        """
        INSERT INTO session_event_heads AS h (tenant, session_id, last_event_id, archive_cursor)
        SELECT * FROM unnest($1, $2, $3, $4)
        ON CONFLICT (tenant, session_id) DO UPDATE SET
            last_event_id = GREATEST(h.last_event_id, excluded.last_event_id),
            archive_cursor = coalesce(excluded.archive_cursor, h.archive_cursor)
        """,
        Column((HeadRow r) => r.Tenant, NpgsqlDbType.Text),
        Column((HeadRow r) => r.SessionId, NpgsqlDbType.Text),
        Column((HeadRow r) => r.LastEventId, NpgsqlDbType.Bigint),
        Column((HeadRow r) => r.ArchiveCursor, NpgsqlDbType.Text));

    // Ordered by position so that seq follows the order the stanzas were accepted in; a repeat keeps the first row.
    private static readonly UnnestStatement<OutboxRow> InsertOutbox = new(
        """
        INSERT INTO outbox (tenant, session_id, stanza_id, accepted_at, wait_for_ack, stanza, archive_cursor)
        SELECT tenant, session_id, stanza_id, accepted_at, wait_for_ack, stanza, archive_cursor
        FROM unnest($1, $2, $3, $4, $5, $6, $7)
            WITH ORDINALITY AS r(tenant, session_id, stanza_id, accepted_at, wait_for_ack, stanza, archive_cursor, position)
        ORDER BY position
        ON CONFLICT (tenant, session_id, stanza_id) DO NOTHING
        """,
        Column((OutboxRow r) => r.Tenant, NpgsqlDbType.Text),
        Column((OutboxRow r) => r.SessionId, NpgsqlDbType.Text),
        Column((OutboxRow r) => r.StanzaId, NpgsqlDbType.Text),
        Column((OutboxRow r) => r.AcceptedAtTicks, NpgsqlDbType.Bigint),
        Column((OutboxRow r) => r.WaitForAck, NpgsqlDbType.Boolean),
        Column((OutboxRow r) => r.Stanza, NpgsqlDbType.Text),
        Column((OutboxRow r) => r.ArchiveCursor, NpgsqlDbType.Text));

    private static readonly UnnestStatement<OutboxKey> DeleteOutbox = new(
        """
        DELETE FROM outbox AS o USING unnest($1, $2, $3) AS r(tenant, session_id, stanza_id)
        WHERE o.tenant = r.tenant AND o.session_id = r.session_id AND o.stanza_id = r.stanza_id
        """,
        Column((OutboxKey r) => r.Tenant, NpgsqlDbType.Text),
        Column((OutboxKey r) => r.SessionId, NpgsqlDbType.Text),
        Column((OutboxKey r) => r.StanzaId, NpgsqlDbType.Text));

    private readonly PostgresDatabase _database;
    private readonly ILogger _logger;
    private readonly Channel<PendingCommit> _queue = Channel.CreateBounded<PendingCommit>(
        new BoundedChannelOptions(QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private readonly Task _loop;

    public PostgresJournalWriter(PostgresDatabase database, ILogger logger)
    {
        _database = database;
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Completes once the rows are committed (with whatever else was queued); cancellation applies until the loop picks them up.</summary>
    /// <exception cref="ObjectDisposedException">The writer is stopped.</exception>
    public Task CommitAsync(CommitRows rows, CancellationToken cancellationToken)
    {
        var pending = new PendingCommit(rows, cancellationToken);
        if (_queue.Writer.TryWrite(pending))
        {
            return pending.Completion.Task;
        }

        return QueueAsync(pending, cancellationToken);
    }

    /// <summary>Stops taking commits, writes those queued, and ends the loop.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
    }

    private async Task QueueAsync(PendingCommit pending, CancellationToken cancellationToken)
    {
        try
        {
            await _queue.Writer.WriteAsync(pending, cancellationToken);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(nameof(PostgresGatewayStore));
        }

        await pending.Completion.Task;
    }

    private async Task RunAsync()
    {
        var group = new List<PendingCommit>();
        while (await _queue.Reader.WaitToReadAsync())
        {
            group.Clear();
            var rows = 0;
            while (rows < MaxRowsPerTransaction && _queue.Reader.TryRead(out var pending))
            {
                if (pending.CancellationToken.IsCancellationRequested)
                {
                    pending.Completion.TrySetCanceled(pending.CancellationToken);
                    continue;
                }

                group.Add(pending);
                rows += pending.Rows.Count;
            }

            if (group.Count == 0)
            {
                continue;
            }

            var started = Stopwatch.GetTimestamp();
            try
            {
                await WriteAsync(group);
                PostgresLog.GroupCommitted(_logger, group.Count, rows, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                Complete(group, null);
            }
            catch (Exception ex) when (group.Count > 1)
            {
                // One commit the server refuses must not fail the others with it, for ever (the pool retries what
                // fails): the group rolled back whole, so each commit is tried again on its own.
                PostgresLog.GroupCommitFailed(_logger, group.Count, ex.GetType().Name, ex);
                foreach (var pending in group)
                {
                    Complete([pending], await TryWriteAsync([pending]));
                }
            }
            catch (Exception ex)
            {
                // Rolled back: the caller is told, and the pool retries (the rows are idempotent).
                PostgresLog.GroupCommitFailed(_logger, group.Count, ex.GetType().Name, ex);
                Complete(group, ex);
            }
        }
    }

    private static void Complete(List<PendingCommit> group, Exception? failure)
    {
        foreach (var pending in group)
        {
            if (failure is null)
            {
                pending.Completion.TrySetResult();
            }
            else
            {
                pending.Completion.TrySetException(failure);
            }
        }
    }

    private async Task<Exception?> TryWriteAsync(List<PendingCommit> group)
    {
        try
        {
            await WriteAsync(group);
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    private Task WriteAsync(List<PendingCommit> group) =>
        _database.RetryAsync("journal commit", cancellationToken => WriteGroupAsync(group, cancellationToken), CancellationToken.None);

    private async Task<bool> WriteGroupAsync(List<PendingCommit> group, CancellationToken cancellationToken)
    {
        await using var connection = await _database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var pending in group)
        {
            AddCommands(batch, pending.Rows);
        }

        await batch.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>One commit's rows: one statement per kind of row, with the values as arrays (<c>unnest</c>).</summary>
    private static void AddCommands(NpgsqlBatch batch, CommitRows rows)
    {
        InsertEvents.AddTo(batch, rows.Events);
        UpsertHeads.AddTo(batch, rows.Heads);
        InsertOutbox.AddTo(batch, rows.Additions);
        DeleteOutbox.AddTo(batch, rows.Removals);
    }

    /// <summary>A positional parameter of an <see cref="UnnestStatement{TRow}"/>: one column of the rows, as an array.</summary>
    private static Func<TRow[], NpgsqlParameter> Column<TRow, TValue>(Func<TRow, TValue> value, NpgsqlDbType elementType) =>
        rows => new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | elementType, Value = Array.ConvertAll(rows, row => value(row)) };

    /// <summary>One caller's commit, waiting for the loop.</summary>
    private sealed class PendingCommit(CommitRows rows, CancellationToken cancellationToken)
    {
        public CommitRows Rows { get; } = rows;

        public CancellationToken CancellationToken { get; } = cancellationToken;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>
    /// A statement over one kind of row whose parameters (<c>$1</c>, <c>$2</c>, …: batch commands take positional ones)
    /// are the rows' columns as arrays, in its order; added to a batch only when there are rows.
    /// </summary>
    private sealed class UnnestStatement<TRow>(string sql, params Func<TRow[], NpgsqlParameter>[] columns)
    {
        public void AddTo(NpgsqlBatch batch, TRow[] rows)
        {
            if (rows.Length == 0)
            {
                return;
            }

            var command = new NpgsqlBatchCommand(sql);
            foreach (var column in columns)
            {
                command.Parameters.Add(column(rows));
            }

            batch.BatchCommands.Add(command);
        }
    }
}
