using Npgsql;

namespace Gateway.Api.Persistence.Postgres;

/// <summary>
/// The PostgreSQL store's schema and its migrations: the tables of the SQLite store (<see cref="Sqlite.SqliteSchema"/>, same
/// columns and meaning: timestamps are UTC ticks, sealed values text) plus the Data Protection key ring.
/// <c>schema_version</c> holds one row. A migration is appended to <see cref="Migrations"/>, never edited once
/// released. Keys that are sorted on are <c>COLLATE "C"</c>: ordinal order, as the other stores give, whatever the
/// database's locale.
/// </summary>
internal static class PostgresSchema
{
    /// <summary>Taken (transaction-scoped) while migrating: gateway nodes starting together migrate one after the other.</summary>
    public const long MigrationLock = 0x6761_7465_7761_7901;

    /// <summary>Taken while loading or creating the store keys: nodes starting on an empty database create one key, not one each.</summary>
    public const long StoreKeyLock = 0x6761_7465_7761_7902;

    private const string Version1 = """
        CREATE TABLE sessions (
            tenant         text COLLATE "C" NOT NULL,
            id             text COLLATE "C" NOT NULL,
            created_at     bigint NOT NULL,
            spec_protected text   NOT NULL,
            PRIMARY KEY (tenant, id)
        );

        CREATE TABLE events (
            tenant      text COLLATE "C" NOT NULL,
            session_id  text COLLATE "C" NOT NULL,
            event_id    bigint NOT NULL,
            received_at bigint NOT NULL,
            kind        text   NOT NULL,
            data        text   NOT NULL,
            message_id  text COLLATE "C",
            PRIMARY KEY (tenant, session_id, event_id)
        );

        CREATE INDEX events_by_received_at ON events (received_at);

        CREATE INDEX events_by_message ON events (tenant, session_id, message_id, event_id) WHERE message_id IS NOT NULL;

        CREATE TABLE session_event_heads (
            tenant         text COLLATE "C" NOT NULL,
            session_id     text COLLATE "C" NOT NULL,
            last_event_id  bigint NOT NULL,
            archive_cursor text,
            PRIMARY KEY (tenant, session_id)
        );

        CREATE TABLE outbox (
            seq            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            tenant         text COLLATE "C" NOT NULL,
            session_id     text COLLATE "C" NOT NULL,
            stanza_id      text COLLATE "C" NOT NULL,
            accepted_at    bigint  NOT NULL,
            wait_for_ack   boolean NOT NULL,
            stanza         text    NOT NULL,
            archive_cursor text,
            UNIQUE (tenant, session_id, stanza_id)
        );

        CREATE INDEX outbox_by_session ON outbox (tenant, session_id, seq);

        CREATE TABLE store_keys (
            id            integer PRIMARY KEY,
            created_at    bigint  NOT NULL,
            key_protected text    NOT NULL
        );

        CREATE TABLE rooms (
            tenant         text COLLATE "C" NOT NULL,
            session_id     text COLLATE "C" NOT NULL,
            room           text COLLATE "C" NOT NULL,
            data_protected text NOT NULL,
            PRIMARY KEY (tenant, session_id, room)
        );

        -- The Data Protection key ring (PostgresXmlRepository): every node reads the keys every other node wrote.
        CREATE TABLE data_protection_keys (
            id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            friendly_name text,
            xml           text   NOT NULL,
            created_at    bigint NOT NULL
        );

        CREATE TABLE webhooks (
            id                        text COLLATE "C" PRIMARY KEY,
            tenant                    text COLLATE "C" NOT NULL,
            url                       text    NOT NULL,
            events                    text,
            sessions                  text,
            description               text,
            enabled                   boolean NOT NULL,
            created_at                bigint  NOT NULL,
            secret_protected          text    NOT NULL,
            previous_secret_protected text,
            previous_secret_until     bigint
        );

        CREATE INDEX webhooks_by_tenant ON webhooks (tenant, created_at);

        CREATE TABLE webhook_cursors (
            webhook_id    text COLLATE "C" NOT NULL,
            session_id    text COLLATE "C" NOT NULL,
            last_event_id bigint NOT NULL,
            gaps          bigint NOT NULL DEFAULT 0,
            PRIMARY KEY (webhook_id, session_id)
        );

        CREATE TABLE webhook_deliveries (
            id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            webhook_id       text COLLATE "C" NOT NULL,
            session_id       text COLLATE "C" NOT NULL,
            event_id         bigint  NOT NULL,
            kind             text    NOT NULL,
            status           text    NOT NULL,
            attempts         integer NOT NULL,
            created_at       bigint  NOT NULL,
            last_attempt_at  bigint,
            next_attempt_at  bigint,
            last_status_code integer,
            last_error       text
        );

        CREATE UNIQUE INDEX webhook_deliveries_by_event ON webhook_deliveries (webhook_id, session_id, event_id);

        CREATE INDEX webhook_deliveries_open ON webhook_deliveries (webhook_id, session_id, event_id) WHERE status IN ('pending', 'failed');
        """;

    /// <summary><c>Migrations[v]</c> brings a database from version <c>v</c> to <c>v + 1</c>.</summary>
    private static readonly string[] Migrations = [Version1];

    public static int CurrentVersion => Migrations.Length;

    /// <summary>
    /// Creates or upgrades the schema in one transaction, under <see cref="MigrationLock"/>; returns the version the
    /// database was at.
    /// </summary>
    /// <exception cref="InvalidOperationException">The database was written by a newer gateway.</exception>
    public static int Migrate(NpgsqlConnection connection, string database)
    {
        using var transaction = connection.BeginTransaction();
        Execute(connection, transaction, $"SELECT pg_advisory_xact_lock({MigrationLock})");
        Execute(connection, transaction, "CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)");
        int version;
        using (var read = new NpgsqlCommand("SELECT coalesce(max(version), 0) FROM schema_version", connection, transaction))
        {
            version = Convert.ToInt32(read.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }

        if (version > CurrentVersion)
        {
            throw new InvalidOperationException(
                $"The PostgreSQL gateway store {database} has schema version {version}, newer than this gateway understands ({CurrentVersion}). " +
                $"Run a gateway at least as new as the one that wrote it, or point {GatewayStorageOptions.Section}:ConnectionString at another database.");
        }

        if (version == CurrentVersion)
        {
            transaction.Commit();
            return version;
        }

        for (var v = version; v < CurrentVersion; v++)
        {
            Execute(connection, transaction, Migrations[v]);
        }

        Execute(connection, transaction, "DELETE FROM schema_version");
        Execute(connection, transaction, $"INSERT INTO schema_version (version) VALUES ({CurrentVersion})");
        transaction.Commit();
        return version;
    }

    private static void Execute(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection, transaction);
        command.ExecuteNonQuery();
    }
}
