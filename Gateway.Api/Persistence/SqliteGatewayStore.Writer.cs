using Gateway.Xmpp.Pool.Persistence;
using Microsoft.Data.Sqlite;

namespace Gateway.Api.Persistence;

/// <summary>
/// The single writer: every write is a request on a channel, executed by one loop on one connection (SQLite admits
/// one writer at a time anyway). Journal batches (<see cref="IPoolStore.CommitAsync"/>) waiting together are committed
/// in one transaction (group commit) with prepared statements; any other write runs in its own transaction, in order.
/// </summary>
internal sealed partial class SqliteGatewayStore
{
    /// <summary>Rows per group commit: large enough to amortise the commit, small enough to keep latency low.</summary>
    private const int MaxGroupRows = 8_192;

    private readonly CommitCommands _commands;
    private long _groupCommits;

    /// <summary>Transactions that committed journal batches so far: how well group commit merges, for tests and diagnosis.</summary>
    internal long GroupCommits => Interlocked.Read(ref _groupCommits);

    private CommitCommands PrepareCommitCommands()
    {
        // Prepared once, re-bound per row: SQLite compiles each statement a single time.
        SqliteRawStatement? insertEvent = null, upsertHead = null, insertOutbox = null, deleteOutbox = null;
        try
        {
            insertEvent = new SqliteRawStatement(
                _writer,
                """
                INSERT INTO events (tenant, session_id, event_id, received_at, kind, data)
                VALUES ($tenant, $session, $event, $receivedAt, $kind, $data)
                ON CONFLICT (tenant, session_id, event_id) DO NOTHING
                """);

            // A head written for a cursor alone has last_event_id 0, which max() never prefers; a head written for
            // events alone keeps the cursor it had.
            upsertHead = new SqliteRawStatement(
                _writer,
                """
                INSERT INTO session_event_heads (tenant, session_id, last_event_id, archive_cursor) VALUES ($tenant, $session, $last, $cursor)
                ON CONFLICT (tenant, session_id) DO UPDATE SET
                    last_event_id = max(last_event_id, excluded.last_event_id),
                    archive_cursor = coalesce(excluded.archive_cursor, archive_cursor)
                """);

            // A repeat of the same id (an idempotent retry racing its first attempt) keeps the first row.
            insertOutbox = new SqliteRawStatement(
                _writer,
                """
                INSERT INTO outbox (tenant, session_id, stanza_id, accepted_at, wait_for_ack, stanza, archive_cursor)
                VALUES ($tenant, $session, $stanza, $acceptedAt, $waitForAck, $xml, $cursor)
                ON CONFLICT (tenant, session_id, stanza_id) DO NOTHING
                """);
            deleteOutbox = new SqliteRawStatement(_writer, "DELETE FROM outbox WHERE tenant = $tenant AND session_id = $session AND stanza_id = $stanza");
            return new CommitCommands(insertEvent, upsertHead, insertOutbox, deleteOutbox);
        }
        catch
        {
            insertEvent?.Dispose();
            upsertHead?.Dispose();
            insertOutbox?.Dispose();
            deleteOutbox?.Dispose();
            throw;
        }
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

            if (request.Rows is null)
            {
                Execute(request);
                continue;
            }

            group.Add(request);
            var rows = request.Rows.Count;
            while (rows < MaxGroupRows && reader.TryRead(out var more))
            {
                if (more.Rows is null)
                {
                    // Not a journal batch: it runs after this group, in order.
                    next = more;
                    break;
                }

                if (more.TryStart())
                {
                    group.Add(more);
                    rows += more.Rows.Count;
                }
            }

            CommitGroup(group);
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

    private void CommitGroup(List<WriteRequest> group)
    {
        try
        {
            WriteGroup(group);
            foreach (var request in group)
            {
                request.Completion.TrySetResult(request.Rows!.Count);
            }
        }
        catch (Exception) when (group.Count > 1)
        {
            // Commit alone what can be committed: one caller's bad batch must not fail the others'.
            foreach (var request in group)
            {
                try
                {
                    WriteGroup([request]);
                    request.Completion.TrySetResult(request.Rows!.Count);
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

    /// <summary>Every batch of the group in one transaction, each in its order: events, heads, outbox additions, outbox removals.</summary>
    private void WriteGroup(List<WriteRequest> group)
    {
        // BEGIN IMMEDIATE; disposing without Commit rolls back. The raw statements run inside it, on the same connection.
        using var transaction = _writer.BeginTransaction();
        var c = _commands;
        foreach (var request in group)
        {
            var rows = request.Rows!;
            foreach (var row in rows.Events)
            {
                c.InsertEvent.Bind(c.EventTenant, row.Tenant);
                c.InsertEvent.Bind(c.EventSession, row.SessionId);
                c.InsertEvent.Bind(c.EventId, row.EventId);
                c.InsertEvent.Bind(c.EventReceivedAt, row.ReceivedAtTicks);
                c.InsertEvent.Bind(c.EventKind, row.Kind);
                c.InsertEvent.Bind(c.EventData, row.Data);
                c.InsertEvent.Execute();
            }

            foreach (var head in rows.Heads)
            {
                c.UpsertHead.Bind(c.HeadTenant, head.Tenant);
                c.UpsertHead.Bind(c.HeadSession, head.SessionId);
                c.UpsertHead.Bind(c.HeadLast, head.LastEventId);
                c.UpsertHead.Bind(c.HeadCursor, head.ArchiveCursor);
                c.UpsertHead.Execute();
            }

            foreach (var row in rows.Additions)
            {
                c.InsertOutbox.Bind(c.AddTenant, row.Tenant);
                c.InsertOutbox.Bind(c.AddSession, row.SessionId);
                c.InsertOutbox.Bind(c.AddStanzaId, row.StanzaId);
                c.InsertOutbox.Bind(c.AddAcceptedAt, row.AcceptedAtTicks);
                c.InsertOutbox.Bind(c.AddWaitForAck, row.WaitForAck ? 1 : 0);
                c.InsertOutbox.Bind(c.AddStanza, row.Stanza);
                c.InsertOutbox.Bind(c.AddCursor, row.ArchiveCursor);
                c.InsertOutbox.Execute();
            }

            foreach (var key in rows.Removals)
            {
                c.DeleteOutbox.Bind(c.RemoveTenant, key.Tenant);
                c.DeleteOutbox.Bind(c.RemoveSession, key.SessionId);
                c.DeleteOutbox.Bind(c.RemoveStanzaId, key.StanzaId);
                c.DeleteOutbox.Execute();
            }
        }

        transaction.Commit();
        Interlocked.Increment(ref _groupCommits);
    }

    /// <summary>The writer's prepared statements for journal batches, with their parameters' indices.</summary>
    private sealed class CommitCommands(SqliteRawStatement insertEvent, SqliteRawStatement upsertHead, SqliteRawStatement insertOutbox, SqliteRawStatement deleteOutbox) : IDisposable
    {
        public SqliteRawStatement InsertEvent { get; } = insertEvent;

        public SqliteRawStatement UpsertHead { get; } = upsertHead;

        public SqliteRawStatement InsertOutbox { get; } = insertOutbox;

        public SqliteRawStatement DeleteOutbox { get; } = deleteOutbox;

        public int EventTenant { get; } = insertEvent.IndexOf("$tenant");

        public int EventSession { get; } = insertEvent.IndexOf("$session");

        public int EventId { get; } = insertEvent.IndexOf("$event");

        public int EventReceivedAt { get; } = insertEvent.IndexOf("$receivedAt");

        public int EventKind { get; } = insertEvent.IndexOf("$kind");

        public int EventData { get; } = insertEvent.IndexOf("$data");

        public int HeadTenant { get; } = upsertHead.IndexOf("$tenant");

        public int HeadSession { get; } = upsertHead.IndexOf("$session");

        public int HeadLast { get; } = upsertHead.IndexOf("$last");

        public int HeadCursor { get; } = upsertHead.IndexOf("$cursor");

        public int AddTenant { get; } = insertOutbox.IndexOf("$tenant");

        public int AddSession { get; } = insertOutbox.IndexOf("$session");

        public int AddStanzaId { get; } = insertOutbox.IndexOf("$stanza");

        public int AddAcceptedAt { get; } = insertOutbox.IndexOf("$acceptedAt");

        public int AddWaitForAck { get; } = insertOutbox.IndexOf("$waitForAck");

        public int AddStanza { get; } = insertOutbox.IndexOf("$xml");

        public int AddCursor { get; } = insertOutbox.IndexOf("$cursor");

        public int RemoveTenant { get; } = deleteOutbox.IndexOf("$tenant");

        public int RemoveSession { get; } = deleteOutbox.IndexOf("$session");

        public int RemoveStanzaId { get; } = deleteOutbox.IndexOf("$stanza");

        public void Dispose()
        {
            InsertEvent.Dispose();
            UpsertHead.Dispose();
            InsertOutbox.Dispose();
            DeleteOutbox.Dispose();
        }
    }

    /// <summary>One write: a journal batch (<see cref="Rows"/>) or any other statement (<see cref="Work"/>).</summary>
    private sealed class WriteRequest
    {
        private const int Queued = 0;
        private const int Started = 1;
        private const int Canceled = 2;

        private int _state;

        public WriteRequest(CommitRows rows) => Rows = rows;

        public WriteRequest(Func<SqliteTransaction, long> work) => Work = work;

        public CommitRows? Rows { get; }

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
