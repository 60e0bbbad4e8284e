using Microsoft.Data.Sqlite;

namespace Gateway.Api.Persistence.Sqlite;

/// <summary>
/// The store's schema and its migrations. <c>schema_version</c> holds one row: the version the file is at.
/// A migration is appended to <see cref="Migrations"/>, never edited once released.
/// </summary>
internal static class SqliteSchema
{
    /// <summary>Timestamps (<c>created_at</c>, <c>received_at</c>) are UTC ticks: exact round trip, ordered as integers.</summary>
    private const string Version1 = """
        CREATE TABLE sessions (
            tenant         TEXT    NOT NULL,
            id             TEXT    NOT NULL,
            created_at     INTEGER NOT NULL,
            spec_protected TEXT    NOT NULL,
            PRIMARY KEY (tenant, id)
        ) STRICT;

        CREATE TABLE events (
            tenant      TEXT    NOT NULL,
            session_id  TEXT    NOT NULL,
            event_id    INTEGER NOT NULL,
            received_at INTEGER NOT NULL,
            kind        TEXT    NOT NULL,
            data        TEXT    NOT NULL,
            PRIMARY KEY (tenant, session_id, event_id)
        ) STRICT;

        -- Trimming by age.
        CREATE INDEX events_by_received_at ON events (received_at);

        -- The last id ever appended per session: survives trimming, so numbering continues after a restart
        -- even when retention dropped every event.
        CREATE TABLE session_event_heads (
            tenant        TEXT    NOT NULL,
            session_id    TEXT    NOT NULL,
            last_event_id INTEGER NOT NULL,
            PRIMARY KEY (tenant, session_id)
        ) STRICT, WITHOUT ROWID;
        """;

    /// <summary>
    /// The outbox: stanzas accepted for sending and not yet acknowledged by the XMPP server. <c>seq</c> keeps the
    /// order they were accepted in; <c>stanza</c> is the stanza's XML.
    /// </summary>
    private const string Version2 = """
        CREATE TABLE outbox (
            seq          INTEGER PRIMARY KEY AUTOINCREMENT,
            tenant       TEXT    NOT NULL,
            session_id   TEXT    NOT NULL,
            stanza_id    TEXT    NOT NULL,
            accepted_at  INTEGER NOT NULL,
            wait_for_ack INTEGER NOT NULL,
            stanza       TEXT    NOT NULL
        ) STRICT;

        CREATE UNIQUE INDEX outbox_by_stanza ON outbox (tenant, session_id, stanza_id);
        """;

    /// <summary>
    /// Archive cursors (the XEP-0313 archive id up to which a session accounted for every message it received) on the
    /// journal head, and on each outbox entry as the session's cursor when it was accepted; and the store keys that
    /// event payloads and outbox stanzas are sealed with (<see cref="PayloadProtector"/>), each wrapped by Data Protection.
    /// </summary>
    private const string Version3 = """
        ALTER TABLE session_event_heads ADD COLUMN archive_cursor TEXT;

        ALTER TABLE outbox ADD COLUMN archive_cursor TEXT;

        CREATE TABLE store_keys (
            id            INTEGER PRIMARY KEY,
            created_at    INTEGER NOT NULL,
            key_protected TEXT    NOT NULL
        ) STRICT;
        """;

    /// <summary>
    /// What an event is about, in clear (message and archive ids are already in clear in the outbox and journal head):
    /// a status event's message id, so a message's delivery status can be found after a restart (<c>GET
    /// …/messages/{id}</c>, an idempotent retry, a late receipt) without decrypting the journal; a received message's
    /// archive id, so a repeat delivered long after is recognised. Other events have none, and the index skips them.
    /// </summary>
    private const string Version4 = """
        ALTER TABLE events ADD COLUMN message_id TEXT;

        CREATE INDEX events_by_message ON events (tenant, session_id, message_id, event_id) WHERE message_id IS NOT NULL;
        """;

    /// <summary>
    /// The rooms (XEP-0045) each session is in, so that a restart enters them again: the room JID in clear (the key),
    /// everything else — nick, password, the newest message seen — sealed whole by Data Protection (<see cref="RoomProtector"/>).
    /// </summary>
    private const string Version5 = """
        CREATE TABLE rooms (
            tenant         TEXT NOT NULL,
            session_id     TEXT NOT NULL,
            room           TEXT NOT NULL,
            data_protected TEXT NOT NULL,
            PRIMARY KEY (tenant, session_id, room)
        ) STRICT, WITHOUT ROWID;
        """;

    /// <summary>
    /// Webhooks (<see cref="Webhooks.SqliteWebhookStore"/>): the registrations, their signing secrets sealed by Data Protection;
    /// a cursor per (webhook, session), the last journal event id queued for delivery; and the delivery log.
    /// </summary>
    private const string Version6 = """
        CREATE TABLE webhooks (
            id                        TEXT    PRIMARY KEY,
            tenant                    TEXT    NOT NULL,
            url                       TEXT    NOT NULL,
            events                    TEXT,
            sessions                  TEXT,
            description               TEXT,
            enabled                   INTEGER NOT NULL,
            created_at                INTEGER NOT NULL,
            secret_protected          TEXT    NOT NULL,
            previous_secret_protected TEXT,
            previous_secret_until     INTEGER
        ) STRICT;

        CREATE INDEX webhooks_by_tenant ON webhooks (tenant, created_at);

        CREATE TABLE webhook_cursors (
            webhook_id    TEXT    NOT NULL,
            session_id    TEXT    NOT NULL,
            last_event_id INTEGER NOT NULL,
            gaps          INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (webhook_id, session_id)
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE webhook_deliveries (
            id               INTEGER PRIMARY KEY AUTOINCREMENT,
            webhook_id       TEXT    NOT NULL,
            session_id       TEXT    NOT NULL,
            event_id         INTEGER NOT NULL,
            kind             TEXT    NOT NULL,
            status           TEXT    NOT NULL,
            attempts         INTEGER NOT NULL,
            created_at       INTEGER NOT NULL,
            last_attempt_at  INTEGER,
            next_attempt_at  INTEGER,
            last_status_code INTEGER,
            last_error       TEXT
        ) STRICT;

        CREATE UNIQUE INDEX webhook_deliveries_by_event ON webhook_deliveries (webhook_id, session_id, event_id);

        CREATE INDEX webhook_deliveries_open ON webhook_deliveries (webhook_id, session_id, event_id) WHERE status IN ('pending', 'failed');
        """;

    /// <summary>
    /// The outbox's <c>seq</c> without AUTOINCREMENT, which keeps the highest <c>seq</c> ever used in
    /// <c>sqlite_sequence</c> and so rewrites a page of it in every commit that adds to the outbox. The order only has to
    /// hold among the entries present, and without it a new row's <c>seq</c> is one above the highest present.
    /// </summary>
    private const string Version7 = """
        CREATE TABLE outbox_v7 (
            seq            INTEGER PRIMARY KEY,
            tenant         TEXT    NOT NULL,
            session_id     TEXT    NOT NULL,
            stanza_id      TEXT    NOT NULL,
            accepted_at    INTEGER NOT NULL,
            wait_for_ack   INTEGER NOT NULL,
            stanza         TEXT    NOT NULL,
            archive_cursor TEXT
        ) STRICT;

        INSERT INTO outbox_v7 (seq, tenant, session_id, stanza_id, accepted_at, wait_for_ack, stanza, archive_cursor)
            SELECT seq, tenant, session_id, stanza_id, accepted_at, wait_for_ack, stanza, archive_cursor FROM outbox;

        DROP TABLE outbox;

        ALTER TABLE outbox_v7 RENAME TO outbox;

        CREATE UNIQUE INDEX outbox_by_stanza ON outbox (tenant, session_id, stanza_id);
        """;

    /// <summary>
    /// The events table without its index by <c>received_at</c>, of which every commit with an event wrote a page for
    /// the trim by age alone. Events are appended in commit order, and a rowid table without AUTOINCREMENT numbers each
    /// new row one above the highest present, so rowid order is commit order and the oldest events have the lowest
    /// rowids: the trim walks them from the start instead (<see cref="SqliteEventLog"/>).
    /// </summary>
    private const string Version8 = """
        DROP INDEX events_by_received_at;
        """;

    /// <summary><c>Migrations[v]</c> brings a file from version <c>v</c> to <c>v + 1</c>.</summary>
    private static readonly string[] Migrations = [Version1, Version2, Version3, Version4, Version5, Version6, Version7, Version8];

    public static int CurrentVersion => Migrations.Length;

    /// <summary>Creates or upgrades the schema in one transaction; returns the version the file was at.</summary>
    /// <param name="connection">An open connection to the file.</param>
    /// <param name="path">The file, for messages.</param>
    /// <param name="targetVersion">The version to bring the file to: <see cref="CurrentVersion"/>, or an older one to make test files.</param>
    /// <exception cref="InvalidOperationException">The file was written by a newer gateway.</exception>
    public static int Migrate(SqliteConnection connection, string path, int? targetVersion = null)
    {
        var target = targetVersion ?? CurrentVersion;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(target, CurrentVersion);
        // BEGIN IMMEDIATE: the check and the upgrade happen under the write lock.
        using var transaction = connection.BeginTransaction();
        Execute(connection, transaction, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL) STRICT");
        int version;
        using (var read = Command(connection, transaction, "SELECT coalesce(max(version), 0) FROM schema_version"))
        {
            version = Convert.ToInt32(read.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }

        if (version > CurrentVersion)
        {
            throw new InvalidOperationException(
                $"The gateway store {path} has schema version {version}, newer than this gateway understands ({CurrentVersion}). " +
                $"Run a gateway at least as new as the one that wrote it, or point {GatewayStorageOptions.Section}:Path at another file.");
        }

        if (version >= target)
        {
            return version;
        }

        for (var v = version; v < target; v++)
        {
            Execute(connection, transaction, Migrations[v]);
        }

        Execute(connection, transaction, "DELETE FROM schema_version");
        using (var write = Command(connection, transaction, "INSERT INTO schema_version (version) VALUES ($version)"))
        {
            write.Parameters.AddWithValue("$version", target);
            write.ExecuteNonQuery();
        }

        transaction.Commit();
        return version;
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        using var command = Command(connection, transaction, sql);
        command.ExecuteNonQuery();
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }
}
