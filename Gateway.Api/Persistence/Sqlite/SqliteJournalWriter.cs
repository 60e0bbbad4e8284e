using Gateway.Xmpp.Pool.Persistence;

namespace Gateway.Api.Persistence.Sqlite;

/// <summary>
/// The write side of journal and outbox in the SQLite file (<see cref="IPoolStore.CommitAsync"/>): each batch in one
/// transaction on the database's writer connection, through statements prepared once (<see cref="SqliteRawStatement"/>).
/// Every write runs on the caller's thread, one at a time; the pool's journal already gathers every session's changes
/// into one batch per commit, so a loop of the writer's own would only add a thread hop to every commit.
/// </summary>
internal sealed class SqliteJournalWriter : IDisposable
{
    private readonly SqliteDatabase _database;
    private readonly CommitCommands _commands;

    /// <summary>Prepares the statements on the writer connection (at start-up, before the store takes writes).</summary>
    public SqliteJournalWriter(SqliteDatabase database)
    {
        _database = database;

        // Prepared once, re-bound per row: SQLite compiles each statement a single time.
        SqliteRawStatement? insertEvent = null, upsertHead = null, insertOutbox = null, deleteOutbox = null;
        try
        {
            insertEvent = new SqliteRawStatement(
                database.Writer,
                """
                INSERT INTO events (tenant, session_id, event_id, received_at, kind, data, message_id)
                VALUES ($tenant, $session, $event, $receivedAt, $kind, $data, $message)
                ON CONFLICT (tenant, session_id, event_id) DO NOTHING
                """);

            // A head written for a cursor alone has last_event_id 0, which max() never prefers; a head written for
            // events alone keeps the cursor it had.
            upsertHead = new SqliteRawStatement(
                database.Writer,
                """
                INSERT INTO session_event_heads (tenant, session_id, last_event_id, archive_cursor) VALUES ($tenant, $session, $last, $cursor)
                ON CONFLICT (tenant, session_id) DO UPDATE SET
                    last_event_id = max(last_event_id, excluded.last_event_id),
                    archive_cursor = coalesce(excluded.archive_cursor, archive_cursor)
                """);

            // A repeat of the same id (an idempotent retry racing its first attempt) keeps the first row.
            insertOutbox = new SqliteRawStatement(
                database.Writer,
                """
                INSERT INTO outbox (tenant, session_id, stanza_id, accepted_at, wait_for_ack, stanza, archive_cursor)
                VALUES ($tenant, $session, $stanza, $acceptedAt, $waitForAck, $xml, $cursor)
                ON CONFLICT (tenant, session_id, stanza_id) DO NOTHING
                """);
            deleteOutbox = new SqliteRawStatement(database.Writer, "DELETE FROM outbox WHERE tenant = $tenant AND session_id = $session AND stanza_id = $stanza");
            _commands = new CommitCommands(insertEvent, upsertHead, insertOutbox, deleteOutbox);
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

    /// <summary>
    /// The batch, already encoded, in one transaction. Cancellation applies while waiting for the writer connection;
    /// once started, the batch runs to its commit (or rollback).
    /// </summary>
    public Task CommitAsync(CommitRows rows, CancellationToken cancellationToken) =>
        _database.WriteAsync(_ => WriteRows(rows), cancellationToken);

    public void Dispose() => _commands.Dispose();

    /// <summary>The batch in one transaction, in its order: events, heads, outbox additions, outbox removals.</summary>
    private long WriteRows(CommitRows rows)
    {
        // In the transaction the database opened on the writer connection: the raw statements run inside it.
        var c = _commands;
        foreach (var row in rows.Events)
        {
            c.InsertEvent.Bind(c.EventTenant, row.Tenant);
            c.InsertEvent.Bind(c.EventSession, row.SessionId);
            c.InsertEvent.Bind(c.EventId, row.EventId);
            c.InsertEvent.Bind(c.EventReceivedAt, row.ReceivedAtTicks);
            c.InsertEvent.Bind(c.EventKind, row.Kind);
            c.InsertEvent.Bind(c.EventData, row.Data);
            c.InsertEvent.Bind(c.EventMessage, row.MessageId);
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

        return rows.Count;
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

        public int EventMessage { get; } = insertEvent.IndexOf("$message");

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
}
