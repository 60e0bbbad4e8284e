using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text.Json;
using Gateway.Api.Persistence;
using Gateway.Api.Persistence.Sqlite;
using Microsoft.Data.Sqlite;

namespace Gateway.Api.Webhooks;

/// <summary>
/// Webhooks, their cursors and their delivery log (<see cref="IWebhookStore"/>), in the gateway's SQLite file (tables of schema version 6, see
/// <see cref="SqliteSchema"/>). A class of its own beside <see cref="SqliteGatewayStore"/>: it opens its own pooled
/// connections to the same file (WAL lets readers and one writer at a time work side by side; SQLite serialises the
/// writers, Microsoft.Data.Sqlite retries a busy file for the connection's timeout). Secrets are sealed by
/// <see cref="WebhookSecretProtector"/>; timestamps are UTC ticks.
/// </summary>
internal sealed class SqliteWebhookStore : IWebhookStore
{
    private const string Columns = "id, tenant, url, events, sessions, description, enabled, created_at, secret_protected, previous_secret_protected, previous_secret_until";
    private const string DeliveryColumns = "id, webhook_id, session_id, event_id, kind, status, attempts, created_at, last_attempt_at, next_attempt_at, last_status_code, last_error";

    private readonly string _connectionString;
    private readonly WebhookSecretProtector _secrets;
    private readonly ILogger<SqliteWebhookStore> _logger;

    /// <summary>One write transaction of this store at a time: the file admits one writer anyway.</summary>
    private readonly SemaphoreSlim _writeGate = new(1, 1);

    /// <param name="store">The gateway store: opened (and so migrated) before this one touches the file.</param>
    /// <param name="secrets">Seals the secrets.</param>
    /// <param name="logger">Logs unreadable rows.</param>
    public SqliteWebhookStore(SqliteGatewayStore store, WebhookSecretProtector secrets, ILogger<SqliteWebhookStore> logger)
    {
        ArgumentNullException.ThrowIfNull(store);
        _secrets = secrets;
        _logger = logger;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = store.DatabasePath,
            Mode = SqliteOpenMode.ReadWrite,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public async Task<IReadOnlyList<Webhook>> LoadAllAsync(CancellationToken cancellationToken) =>
        await QueryWebhooksAsync($"SELECT {Columns} FROM webhooks ORDER BY created_at, id", cancellationToken);

    public async Task<IReadOnlyList<Webhook>> ListAsync(string tenant, CancellationToken cancellationToken) =>
        await QueryWebhooksAsync($"SELECT {Columns} FROM webhooks WHERE tenant = $tenant ORDER BY created_at, id", cancellationToken, ("$tenant", tenant));

    /// <summary>The tenant's webhook; null for an unknown id and for another tenant's.</summary>
    public async Task<Webhook?> FindAsync(string tenant, string id, CancellationToken cancellationToken) =>
        (await QueryWebhooksAsync($"SELECT {Columns} FROM webhooks WHERE tenant = $tenant AND id = $id", cancellationToken, ("$tenant", tenant), ("$id", id))).FirstOrDefault();

    public async Task<int> CountAsync(string tenant, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT count(*) FROM webhooks WHERE tenant = $tenant", ("$tenant", tenant));
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Adds a webhook and its starting cursors (the sessions' current heads: only later events are delivered).</summary>
    public Task InsertAsync(Webhook webhook, IEnumerable<(string SessionId, long LastEventId)> cursors, CancellationToken cancellationToken) =>
        WriteAsync(
            (connection, transaction) =>
            {
                using (var insert = Command(connection, transaction, $"INSERT INTO webhooks ({Columns}) VALUES ($id, $tenant, $url, $events, $sessions, $description, $enabled, $createdAt, $secret, $previous, $previousUntil)"))
                {
                    BindWebhook(insert, webhook);
                    insert.ExecuteNonQuery();
                }

                foreach (var (sessionId, lastEventId) in cursors)
                {
                    using var cursor = Command(connection, transaction,
                        "INSERT INTO webhook_cursors (webhook_id, session_id, last_event_id) VALUES ($webhook, $session, $last)",
                        ("$webhook", webhook.Id), ("$session", sessionId), ("$last", lastEventId));
                    cursor.ExecuteNonQuery();
                }

                return true;
            },
            cancellationToken);

    /// <summary>Writes every field of the webhook; false when it is gone.</summary>
    public Task<bool> UpdateAsync(Webhook webhook, CancellationToken cancellationToken) =>
        WriteAsync(
            (connection, transaction) =>
            {
                using var update = Command(connection, transaction,
                    "UPDATE webhooks SET url = $url, events = $events, sessions = $sessions, description = $description, enabled = $enabled, " +
                    "secret_protected = $secret, previous_secret_protected = $previous, previous_secret_until = $previousUntil " +
                    "WHERE id = $id AND tenant = $tenant AND created_at = $createdAt");
                BindWebhook(update, webhook);
                return update.ExecuteNonQuery() == 1;
            },
            cancellationToken);

    /// <summary>Removes the webhook, its cursors and its delivery log; false when the tenant has none with this id.</summary>
    public Task<bool> DeleteAsync(string tenant, string id, CancellationToken cancellationToken) =>
        WriteAsync(
            (connection, transaction) =>
            {
                using var delete = Command(connection, transaction, "DELETE FROM webhooks WHERE tenant = $tenant AND id = $id", ("$tenant", tenant), ("$id", id));
                if (delete.ExecuteNonQuery() == 0)
                {
                    return false;
                }

                using var cursors = Command(connection, transaction, "DELETE FROM webhook_cursors WHERE webhook_id = $id", ("$id", id));
                cursors.ExecuteNonQuery();
                using var deliveries = Command(connection, transaction, "DELETE FROM webhook_deliveries WHERE webhook_id = $id", ("$id", id));
                deliveries.ExecuteNonQuery();
                return true;
            },
            cancellationToken);

    /// <summary>The last event id queued for (webhook, session), or null before the first.</summary>
    public async Task<long?> GetCursorAsync(string webhookId, string sessionId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT last_event_id FROM webhook_cursors WHERE webhook_id = $webhook AND session_id = $session",
            ("$webhook", webhookId), ("$session", sessionId));
        return await command.ExecuteScalarAsync(cancellationToken) is long value ? value : null;
    }

    /// <summary>Sessions the webhook has a cursor or an open delivery for: where to look again after a restart.</summary>
    public async Task<IReadOnlyList<string>> KnownSessionsAsync(string webhookId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null,
            "SELECT session_id FROM webhook_cursors WHERE webhook_id = $webhook UNION " +
            "SELECT session_id FROM webhook_deliveries WHERE webhook_id = $webhook AND status IN ('pending', 'failed')",
            ("$webhook", webhookId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var sessions = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            sessions.Add(reader.GetString(0));
        }

        return sessions;
    }

    /// <summary>
    /// Queues <paramref name="events"/> as pending deliveries and moves the cursor to <paramref name="cursor"/>, in one
    /// transaction: an event is either queued (and the log then has it) or still after the cursor, never lost between.
    /// </summary>
    public Task AdvanceAsync(string webhookId, string sessionId, IReadOnlyList<(long EventId, string Kind)> events, long cursor, bool gap, DateTimeOffset now, CancellationToken cancellationToken) =>
        WriteAsync(
            (connection, transaction) =>
            {
                foreach (var (eventId, kind) in events)
                {
                    using var insert = Command(connection, transaction,
                        "INSERT INTO webhook_deliveries (webhook_id, session_id, event_id, kind, status, attempts, created_at) " +
                        "VALUES ($webhook, $session, $event, $kind, 'pending', 0, $now) ON CONFLICT (webhook_id, session_id, event_id) DO NOTHING",
                        ("$webhook", webhookId), ("$session", sessionId), ("$event", eventId), ("$kind", kind), ("$now", now.UtcTicks));
                    insert.ExecuteNonQuery();
                }

                using var advance = Command(connection, transaction,
                    "INSERT INTO webhook_cursors (webhook_id, session_id, last_event_id, gaps) VALUES ($webhook, $session, $cursor, $gap) " +
                    "ON CONFLICT (webhook_id, session_id) DO UPDATE SET last_event_id = max(last_event_id, excluded.last_event_id), gaps = gaps + excluded.gaps",
                    ("$webhook", webhookId), ("$session", sessionId), ("$cursor", cursor), ("$gap", gap ? 1L : 0L));
                advance.ExecuteNonQuery();
                return true;
            },
            cancellationToken);

    /// <summary>
    /// Forgets the webhook's cursor and deliveries of a session whose journal starts over (the session was deleted and
    /// created again under the same id, so its event ids restart at 1).
    /// </summary>
    public Task ResetSessionAsync(string webhookId, string sessionId, CancellationToken cancellationToken) =>
        WriteAsync(
            (connection, transaction) =>
            {
                using var cursor = Command(connection, transaction, "DELETE FROM webhook_cursors WHERE webhook_id = $webhook AND session_id = $session",
                    ("$webhook", webhookId), ("$session", sessionId));
                cursor.ExecuteNonQuery();
                using var deliveries = Command(connection, transaction, "DELETE FROM webhook_deliveries WHERE webhook_id = $webhook AND session_id = $session",
                    ("$webhook", webhookId), ("$session", sessionId));
                deliveries.ExecuteNonQuery();
                return true;
            },
            cancellationToken);

    /// <summary>The session's oldest open (pending or failed) delivery: the head of its line.</summary>
    public async Task<WebhookDelivery?> NextOpenAsync(string webhookId, string sessionId, CancellationToken cancellationToken)
    {
        var found = await QueryDeliveriesAsync(
            $"SELECT {DeliveryColumns} FROM webhook_deliveries WHERE webhook_id = $webhook AND session_id = $session AND status IN ('pending', 'failed') ORDER BY event_id LIMIT 1",
            cancellationToken, ("$webhook", webhookId), ("$session", sessionId));
        return found.FirstOrDefault();
    }

    public async Task<WebhookDelivery?> FindDeliveryAsync(string webhookId, long deliveryId, CancellationToken cancellationToken) =>
        (await QueryDeliveriesAsync($"SELECT {DeliveryColumns} FROM webhook_deliveries WHERE webhook_id = $webhook AND id = $id",
            cancellationToken, ("$webhook", webhookId), ("$id", deliveryId))).FirstOrDefault();

    /// <summary>The webhook's deliveries, newest first, optionally of one status.</summary>
    public Task<IReadOnlyList<WebhookDelivery>> ListDeliveriesAsync(string webhookId, WebhookDeliveryStatus? status, int limit, CancellationToken cancellationToken) =>
        status is { } only
            ? QueryDeliveriesAsync($"SELECT {DeliveryColumns} FROM webhook_deliveries WHERE webhook_id = $webhook AND status = $status ORDER BY id DESC LIMIT $limit",
                cancellationToken, ("$webhook", webhookId), ("$status", WebhookDeliveryStatusNames.Name(only)), ("$limit", (long)limit))
            : QueryDeliveriesAsync($"SELECT {DeliveryColumns} FROM webhook_deliveries WHERE webhook_id = $webhook ORDER BY id DESC LIMIT $limit",
                cancellationToken, ("$webhook", webhookId), ("$limit", (long)limit));

    /// <summary>Records the outcome of an attempt (or of giving up).</summary>
    public Task RecordAsync(WebhookDelivery delivery, CancellationToken cancellationToken) =>
        WriteAsync(
            (connection, transaction) =>
            {
                using var update = Command(connection, transaction,
                    "UPDATE webhook_deliveries SET status = $status, attempts = $attempts, last_attempt_at = $lastAttemptAt, next_attempt_at = $nextAttemptAt, " +
                    "last_status_code = $statusCode, last_error = $error WHERE id = $id",
                    ("$status", WebhookDeliveryStatusNames.Name(delivery.Status)),
                    ("$attempts", (long)delivery.Attempts),
                    ("$lastAttemptAt", delivery.LastAttemptAt?.UtcTicks),
                    ("$nextAttemptAt", delivery.NextAttemptAt?.UtcTicks),
                    ("$statusCode", (long?)delivery.LastStatusCode),
                    ("$error", delivery.LastError),
                    ("$id", delivery.Id));
                update.ExecuteNonQuery();
                return true;
            },
            cancellationToken);

    /// <summary>Queues a delivery again with a fresh attempt budget, whatever its state; false when the webhook has no such delivery.</summary>
    public Task<bool> RequeueAsync(string webhookId, long deliveryId, CancellationToken cancellationToken) =>
        WriteAsync(
            (connection, transaction) =>
            {
                using var update = Command(connection, transaction,
                    "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = NULL WHERE webhook_id = $webhook AND id = $id",
                    ("$webhook", webhookId), ("$id", deliveryId));
                return update.ExecuteNonQuery() == 1;
            },
            cancellationToken);

    /// <summary>Keeps the newest <paramref name="keep"/> delivered entries of the webhook's log; open and dead ones stay.</summary>
    public Task TrimDeliveredAsync(string webhookId, int keep, CancellationToken cancellationToken) =>
        WriteAsync(
            (connection, transaction) =>
            {
                using var delete = Command(connection, transaction,
                    "DELETE FROM webhook_deliveries WHERE webhook_id = $webhook AND status = 'delivered' AND id < " +
                    "(SELECT id FROM webhook_deliveries WHERE webhook_id = $webhook AND status = 'delivered' ORDER BY id DESC LIMIT 1 OFFSET $keep)",
                    ("$webhook", webhookId), ("$keep", (long)keep));
                delete.ExecuteNonQuery();
                return true;
            },
            cancellationToken);

    private void BindWebhook(SqliteCommand command, Webhook webhook)
    {
        Bind(command,
            ("$id", webhook.Id),
            ("$tenant", webhook.Tenant),
            ("$url", webhook.Url.OriginalString),
            ("$events", WebhookRows.ToJson(webhook.Events)),
            ("$sessions", WebhookRows.ToJson(webhook.Sessions)),
            ("$description", webhook.Description),
            ("$enabled", webhook.Enabled ? 1L : 0L),
            ("$createdAt", webhook.CreatedAt.UtcTicks),
            ("$secret", _secrets.Protect(webhook.Tenant, webhook.Id, webhook.Secret)),
            ("$previous", webhook.PreviousSecret is null ? null : _secrets.Protect(webhook.Tenant, webhook.Id, webhook.PreviousSecret)),
            ("$previousUntil", webhook.PreviousSecretUntil?.UtcTicks));
    }

    private async Task<IReadOnlyList<Webhook>> QueryWebhooksAsync(string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null, sql, parameters);
        return await WebhookRows.ReadWebhooksAsync(command, _secrets, _logger, cancellationToken);
    }

    private async Task<IReadOnlyList<WebhookDelivery>> QueryDeliveriesAsync(string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null, sql, parameters);
        return await WebhookRows.ReadDeliveriesAsync(command, cancellationToken);
    }

    private async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, T> write, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            await using var connection = await OpenAsync(cancellationToken);

            // BEGIN IMMEDIATE (Microsoft.Data.Sqlite's default): the write lock is taken up front, so the transaction
            // never has to upgrade a read lock, which SQLite could only refuse (SQLITE_BUSY) rather than wait for.
            using var transaction = connection.BeginTransaction();
            var result = write(connection, transaction);
            transaction.Commit();
            return result;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken) => SqliteConnections.OpenAsync(_connectionString, cancellationToken);

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        Bind(command, parameters);
        return command;
    }

    private static void Bind(SqliteCommand command, params (string Name, object? Value)[] parameters)
    {
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
    }
}
