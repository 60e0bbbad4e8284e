using System.Data.Common;
using Gateway.Api.Persistence.Postgres;

namespace Gateway.Api.Webhooks;

/// <summary>
/// Webhooks, their cursors and their delivery log in the gateway's PostgreSQL database (<see cref="IWebhookStore"/>,
/// <see cref="SqlWebhookStore"/>, tables of <see cref="PostgresSchema"/>), with <see cref="SqliteWebhookStore"/>'s
/// semantics; the key ring of <see cref="WebhookSecretProtector"/> the nodes share through the database. Each write is
/// one transaction, run again when the server picks it as a deadlock victim; cursors only move forward.
/// </summary>
internal sealed class PostgresWebhookStore : SqlWebhookStore
{
    private readonly PostgresDatabase _database;

    /// <param name="store">The gateway store: opened (and so the schema migrated) before this one touches the database.</param>
    /// <param name="database">The database.</param>
    /// <param name="secrets">Seals the secrets.</param>
    /// <param name="logger">Logs unreadable rows.</param>
    public PostgresWebhookStore(PostgresGatewayStore store, PostgresDatabase database, WebhookSecretProtector secrets, ILogger<PostgresWebhookStore> logger)
        : base(secrets, logger)
    {
        ArgumentNullException.ThrowIfNull(store);
        _database = database;
    }

    protected override string AdvanceCursorSql =>
        "INSERT INTO webhook_cursors AS c (webhook_id, session_id, last_event_id, gaps) VALUES (@webhook, @session, @cursor, @gap) " +
        "ON CONFLICT (webhook_id, session_id) DO UPDATE SET last_event_id = GREATEST(c.last_event_id, excluded.last_event_id), gaps = c.gaps + excluded.gaps";

    protected override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken) => await _database.OpenAsync(cancellationToken);

    /// <summary>All the events in one statement (arrays, <c>unnest</c>, in their order): one round trip.</summary>
    protected override async Task QueueDeliveriesAsync(
        DbConnection connection, DbTransaction transaction, string webhookId, string sessionId, IReadOnlyList<(long EventId, string Kind)> events, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var insert = Command(connection, transaction,
            "INSERT INTO webhook_deliveries (webhook_id, session_id, event_id, kind, status, attempts, created_at) " +
            "SELECT @webhook, @session, e.event_id, e.kind, 'pending', 0, @now FROM unnest(@events, @kinds) WITH ORDINALITY AS e(event_id, kind, position) " +
            "ORDER BY e.position ON CONFLICT (webhook_id, session_id, event_id) DO NOTHING",
            ("@webhook", webhookId), ("@session", sessionId), ("@now", now.UtcTicks),
            ("@events", events.Select(e => e.EventId).ToArray()), ("@kinds", events.Select(e => e.Kind).ToArray()));
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>On a connection of its own, run again when the server aborts it as a deadlock victim (<see cref="PostgresDatabase.RetryAsync"/>).</summary>
    protected override Task<T> WriteAsync<T>(string operation, Func<DbConnection, DbTransaction, CancellationToken, Task<T>> write, CancellationToken cancellationToken) =>
        _database.RetryAsync(
            operation,
            async token =>
            {
                await using var connection = await _database.OpenAsync(token);
                await using var transaction = await connection.BeginTransactionAsync(token);
                var result = await write(connection, transaction, token);
                await transaction.CommitAsync(token);
                return result;
            },
            cancellationToken);
}
