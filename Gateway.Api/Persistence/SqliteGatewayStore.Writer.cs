using Microsoft.Data.Sqlite;

namespace Gateway.Api.Persistence;

/// <summary>
/// The single writer: every write is a request on a channel, executed in its own transaction by one loop on one
/// connection (SQLite admits one writer at a time anyway). Appends waiting together are committed together
/// (group commit): one fsync-free WAL commit for many callers' batches.
/// </summary>
internal sealed partial class SqliteGatewayStore
{
    /// <summary>Rows per group commit: large enough to amortise the commit, small enough to keep latency low.</summary>
    private const int MaxGroupRows = 8_192;

    private readonly SqliteCommand _insertEvent;
    private readonly SqliteCommand _upsertHead;

    private (SqliteCommand InsertEvent, SqliteCommand UpsertHead) PrepareAppendCommands()
    {
        // Prepared once, re-bound per row: SQLite compiles each statement a single time.
        var insert = _writer.CreateCommand();
        insert.CommandText = """
            INSERT INTO events (tenant, session_id, event_id, received_at, kind, data)
            VALUES ($tenant, $session, $event, $receivedAt, $kind, $data)
            ON CONFLICT (tenant, session_id, event_id) DO NOTHING
            """;
        insert.Parameters.Add("$tenant", SqliteType.Text);
        insert.Parameters.Add("$session", SqliteType.Text);
        insert.Parameters.Add("$event", SqliteType.Integer);
        insert.Parameters.Add("$receivedAt", SqliteType.Integer);
        insert.Parameters.Add("$kind", SqliteType.Text);
        insert.Parameters.Add("$data", SqliteType.Text);
        insert.Prepare();

        var upsert = _writer.CreateCommand();
        upsert.CommandText = """
            INSERT INTO session_event_heads (tenant, session_id, last_event_id) VALUES ($tenant, $session, $last)
            ON CONFLICT (tenant, session_id) DO UPDATE SET last_event_id = max(last_event_id, excluded.last_event_id)
            """;
        upsert.Parameters.Add("$tenant", SqliteType.Text);
        upsert.Parameters.Add("$session", SqliteType.Text);
        upsert.Parameters.Add("$last", SqliteType.Integer);
        upsert.Prepare();
        return (insert, upsert);
    }

    private Task<long> WriteAsync(Func<SqliteTransaction, long> work, CancellationToken cancellationToken) =>
        EnqueueAsync(new WriteRequest(work), cancellationToken);

    /// <summary>One statement (or a few, separated by ';') with named parameters, in its own transaction; returns the rows changed.</summary>
    private Task<long> WriteAsync(string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters) =>
        WriteAsync(
            transaction =>
            {
                using var command = WriterCommand(transaction, sql);
                foreach (var (name, value) in parameters)
                {
                    command.Parameters.AddWithValue(name, value);
                }

                return command.ExecuteNonQuery();
            },
            cancellationToken);

    private async Task<long> EnqueueAsync(WriteRequest request, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();

        // Cancels the request only while it is still queued: once the writer has it, it runs to its commit.
        using var registration = cancellationToken.UnsafeRegister(static (state, token) => ((WriteRequest)state!).TryCancel(token), request);
        if (!_writes.Writer.TryWrite(request))
        {
            throw new ObjectDisposedException(nameof(SqliteGatewayStore));
        }

        return await request.Completion.Task;
    }

    private async Task WriteLoopAsync()
    {
        var reader = _writes.Reader;
        var group = new List<WriteRequest>();
        WriteRequest? next = null;
        while (next is not null || await reader.WaitToReadAsync())
        {
            if (next is null && !reader.TryRead(out next))
            {
                continue;
            }

            var request = next;
            next = null;
            if (!request.TryStart())
            {
                continue;
            }

            if (request.Batch is null)
            {
                Execute(request);
                continue;
            }

            group.Add(request);
            var rows = request.Batch.Rows.Count;
            while (rows < MaxGroupRows && reader.TryRead(out var more))
            {
                if (more.Batch is null)
                {
                    // Not an append: it runs after this group, in order.
                    next = more;
                    break;
                }

                if (more.TryStart())
                {
                    group.Add(more);
                    rows += more.Batch.Rows.Count;
                }
            }

            CommitAppends(group);
            group.Clear();
        }
    }

#pragma warning disable CA1031 // The loop serves every caller: a failure goes to the request it belongs to, never ends the loop.
    private void Execute(WriteRequest request)
    {
        try
        {
            using var transaction = _writer.BeginTransaction();
            var result = request.Work!(transaction);
            transaction.Commit();
            request.Completion.TrySetResult(result);
        }
        catch (Exception ex)
        {
            request.Completion.TrySetException(ex);
        }
    }

    private void CommitAppends(List<WriteRequest> group)
    {
        try
        {
            WriteBatches(group);
            foreach (var request in group)
            {
                request.Completion.TrySetResult(request.Batch!.Rows.Count);
            }
        }
        catch (Exception) when (group.Count > 1)
        {
            // Commit alone what can be committed: one caller's bad batch must not fail the others'.
            foreach (var request in group)
            {
                try
                {
                    WriteBatches([request]);
                    request.Completion.TrySetResult(request.Batch!.Rows.Count);
                }
                catch (Exception ex)
                {
                    request.Completion.TrySetException(ex);
                }
            }
        }
        catch (Exception ex)
        {
            group[0].Completion.TrySetException(ex);
        }
    }
#pragma warning restore CA1031

    private void WriteBatches(List<WriteRequest> group)
    {
        // BEGIN IMMEDIATE; disposing without Commit rolls back.
        using var transaction = _writer.BeginTransaction();
        _insertEvent.Transaction = transaction;
        _upsertHead.Transaction = transaction;
        var parameters = _insertEvent.Parameters;
        foreach (var request in group)
        {
            var batch = request.Batch!;
            foreach (var row in batch.Rows)
            {
                parameters[0].Value = row.Tenant;
                parameters[1].Value = row.SessionId;
                parameters[2].Value = row.EventId;
                parameters[3].Value = row.ReceivedAtTicks;
                parameters[4].Value = row.Kind;
                parameters[5].Value = row.Data;
                _insertEvent.ExecuteNonQuery();
            }

            foreach (var ((tenant, sessionId), last) in batch.Heads)
            {
                _upsertHead.Parameters[0].Value = tenant;
                _upsertHead.Parameters[1].Value = sessionId;
                _upsertHead.Parameters[2].Value = last;
                _upsertHead.ExecuteNonQuery();
            }
        }

        transaction.Commit();
    }

    /// <summary>One write: an append (<see cref="Batch"/>) or any other statement (<see cref="Work"/>).</summary>
    private sealed class WriteRequest
    {
        private const int Queued = 0;
        private const int Started = 1;
        private const int Canceled = 2;

        private int _state;

        public WriteRequest(EventBatch batch) => Batch = batch;

        public WriteRequest(Func<SqliteTransaction, long> work) => Work = work;

        public EventBatch? Batch { get; }

        public Func<SqliteTransaction, long>? Work { get; }

        public TaskCompletionSource<long> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Claims the request for the writer; false when its caller already gave up on it.</summary>
        public bool TryStart() => Interlocked.CompareExchange(ref _state, Started, Queued) == Queued;

        public void TryCancel(CancellationToken cancellationToken)
        {
            if (Interlocked.CompareExchange(ref _state, Canceled, Queued) == Queued)
            {
                Completion.TrySetCanceled(cancellationToken);
            }
        }
    }
}
