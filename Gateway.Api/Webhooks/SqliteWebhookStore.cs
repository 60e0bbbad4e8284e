using System.Data.Common;
using Gateway.Api.Persistence;
using Gateway.Api.Persistence.Sqlite;
using Microsoft.Data.Sqlite;

namespace Gateway.Api.Webhooks;

/// <summary>
/// Webhooks, their cursors and their delivery log (<see cref="IWebhookStore"/>, <see cref="SqlWebhookStore"/>), in the
/// gateway's SQLite file (tables of schema version 6, see <see cref="SqliteSchema"/>). A class of its own beside
/// <see cref="SqliteGatewayStore"/>: it opens its own pooled connections to the same file (WAL lets readers and one
/// writer at a time work side by side; SQLite serialises the writers, Microsoft.Data.Sqlite retries a busy file for the
/// connection's timeout).
/// </summary>
internal sealed class SqliteWebhookStore : SqlWebhookStore
{
    private readonly string _connectionString;

    /// <summary>One write transaction of this store at a time: the file admits one writer anyway.</summary>
    private readonly SemaphoreSlim _writeGate = new(1, 1);

    /// <param name="store">The gateway store: opened (and so migrated) before this one touches the file.</param>
    /// <param name="secrets">Seals the secrets.</param>
    /// <param name="logger">Logs unreadable rows.</param>
    public SqliteWebhookStore(SqliteGatewayStore store, WebhookSecretProtector secrets, ILogger<SqliteWebhookStore> logger)
        : base(secrets, logger)
    {
        ArgumentNullException.ThrowIfNull(store);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = store.DatabasePath,
            Mode = SqliteOpenMode.ReadWrite,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    protected override string AdvanceCursorSql =>
        "INSERT INTO webhook_cursors (webhook_id, session_id, last_event_id, gaps) VALUES (@webhook, @session, @cursor, @gap) " +
        "ON CONFLICT (webhook_id, session_id) DO UPDATE SET last_event_id = max(last_event_id, excluded.last_event_id), gaps = gaps + excluded.gaps";

    protected override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await SqliteConnections.OpenAsync(_connectionString, cancellationToken);

    /// <summary>One statement per event: SQLite runs them in process, there is no round trip to save.</summary>
    protected override async Task QueueDeliveriesAsync(
        DbConnection connection, DbTransaction transaction, string webhookId, string sessionId, IReadOnlyList<(long EventId, string Kind)> events, DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var (eventId, kind) in events)
        {
            await using var insert = Command(connection, transaction,
                "INSERT INTO webhook_deliveries (webhook_id, session_id, event_id, kind, status, attempts, created_at) " +
                "VALUES (@webhook, @session, @event, @kind, 'pending', 0, @now) ON CONFLICT (webhook_id, session_id, event_id) DO NOTHING",
                ("@webhook", webhookId), ("@session", sessionId), ("@event", eventId), ("@kind", kind), ("@now", now.UtcTicks));
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>Behind this store's gate; cancellation applies until the transaction begins, then it runs to its commit.</summary>
    protected override async Task<T> WriteAsync<T>(string operation, Func<DbConnection, DbTransaction, CancellationToken, Task<T>> write, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            await using var connection = await SqliteConnections.OpenAsync(_connectionString, cancellationToken);

            // BEGIN IMMEDIATE (Microsoft.Data.Sqlite's default): the write lock is taken up front, so the transaction
            // never has to upgrade a read lock, which SQLite could only refuse (SQLITE_BUSY) rather than wait for.
            using var transaction = connection.BeginTransaction();
            var result = await write(connection, transaction, CancellationToken.None);
            transaction.Commit();
            return result;
        }
        finally
        {
            _writeGate.Release();
        }
    }
}
