using System.Data.Common;
using System.Globalization;

namespace Gateway.Api.Webhooks;

/// <summary>
/// What both webhook stores do the same way (<see cref="IWebhookStore"/>): the queries, the parameters they bind and the
/// rows they read (<see cref="WebhookRows"/>), secrets sealed by <see cref="WebhookSecretProtector"/>, timestamps UTC
/// ticks. The SQL is written once in the syntax SQLite and PostgreSQL share (<c>@name</c> parameters, <c>ON CONFLICT</c>,
/// several statements in one command); a provider brings its connections, how a write transaction runs, and the
/// statements its dialect words differently (<see cref="SqliteWebhookStore"/>, <see cref="PostgresWebhookStore"/>).
/// </summary>
internal abstract class SqlWebhookStore : IWebhookStore
{
    private const string Columns = "id, tenant, url, events, sessions, description, enabled, created_at, secret_protected, previous_secret_protected, previous_secret_until";
    private const string DeliveryColumns = "id, webhook_id, session_id, event_id, kind, status, attempts, created_at, last_attempt_at, next_attempt_at, last_status_code, last_error";

    private readonly WebhookSecretProtector _secrets;
    private readonly ILogger _logger;

    protected SqlWebhookStore(WebhookSecretProtector secrets, ILogger logger)
    {
        _secrets = secrets;
        _logger = logger;
    }

    public Task<IReadOnlyList<Webhook>> LoadAllAsync(CancellationToken cancellationToken) =>
        QueryWebhooksAsync($"SELECT {Columns} FROM webhooks ORDER BY created_at, id", cancellationToken);

    public Task<IReadOnlyList<Webhook>> ListAsync(string tenant, CancellationToken cancellationToken) =>
        QueryWebhooksAsync($"SELECT {Columns} FROM webhooks WHERE tenant = @tenant ORDER BY created_at, id", cancellationToken, ("@tenant", tenant));

    public async Task<Webhook?> FindAsync(string tenant, string id, CancellationToken cancellationToken) =>
        (await QueryWebhooksAsync($"SELECT {Columns} FROM webhooks WHERE tenant = @tenant AND id = @id", cancellationToken, ("@tenant", tenant), ("@id", id))).FirstOrDefault();

    public async Task<int> CountAsync(string tenant, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT count(*) FROM webhooks WHERE tenant = @tenant", ("@tenant", tenant));
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    public Task InsertAsync(Webhook webhook, IEnumerable<(string SessionId, long LastEventId)> cursors, CancellationToken cancellationToken)
    {
        // Read once: a write may run again (PostgreSQL's deadlock retry).
        var starting = cursors.ToList();
        return WriteAsync(
            "insert webhook",
            async (connection, transaction, token) =>
            {
                await using (var insert = Command(connection, transaction, $"INSERT INTO webhooks ({Columns}) VALUES (@id, @tenant, @url, @events, @sessions, @description, @enabled, @createdAt, @secret, @previous, @previousUntil)"))
                {
                    BindWebhook(insert, webhook);
                    await insert.ExecuteNonQueryAsync(token);
                }

                foreach (var (sessionId, lastEventId) in starting)
                {
                    await using var cursor = Command(connection, transaction,
                        "INSERT INTO webhook_cursors (webhook_id, session_id, last_event_id) VALUES (@webhook, @session, @last)",
                        ("@webhook", webhook.Id), ("@session", sessionId), ("@last", lastEventId));
                    await cursor.ExecuteNonQueryAsync(token);
                }

                return true;
            },
            cancellationToken);
    }

    public Task<bool> UpdateAsync(Webhook webhook, CancellationToken cancellationToken) =>
        WriteAsync(
            "update webhook",
            async (connection, transaction, token) =>
            {
                await using var update = Command(connection, transaction,
                    "UPDATE webhooks SET url = @url, events = @events, sessions = @sessions, description = @description, enabled = @enabled, " +
                    "secret_protected = @secret, previous_secret_protected = @previous, previous_secret_until = @previousUntil " +
                    "WHERE id = @id AND tenant = @tenant AND created_at = @createdAt");
                BindWebhook(update, webhook);
                return await update.ExecuteNonQueryAsync(token) == 1;
            },
            cancellationToken);

    public Task<bool> DeleteAsync(string tenant, string id, CancellationToken cancellationToken) =>
        WriteAsync(
            "delete webhook",
            async (connection, transaction, token) =>
            {
                await using var delete = Command(connection, transaction, "DELETE FROM webhooks WHERE tenant = @tenant AND id = @id", ("@tenant", tenant), ("@id", id));
                if (await delete.ExecuteNonQueryAsync(token) == 0)
                {
                    return false;
                }

                await using var rest = Command(connection, transaction,
                    "DELETE FROM webhook_cursors WHERE webhook_id = @id; DELETE FROM webhook_deliveries WHERE webhook_id = @id", ("@id", id));
                await rest.ExecuteNonQueryAsync(token);
                return true;
            },
            cancellationToken);

    public async Task<long?> GetCursorAsync(string webhookId, string sessionId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT last_event_id FROM webhook_cursors WHERE webhook_id = @webhook AND session_id = @session",
            ("@webhook", webhookId), ("@session", sessionId));
        return await command.ExecuteScalarAsync(cancellationToken) is long value ? value : null;
    }

    public async Task<IReadOnlyList<string>> KnownSessionsAsync(string webhookId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null,
            "SELECT session_id FROM webhook_cursors WHERE webhook_id = @webhook UNION " +
            "SELECT session_id FROM webhook_deliveries WHERE webhook_id = @webhook AND status IN ('pending', 'failed')",
            ("@webhook", webhookId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var sessions = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            sessions.Add(reader.GetString(0));
        }

        return sessions;
    }

    /// <summary>
    /// Queues <paramref name="events"/> as pending deliveries and moves the cursor to <paramref name="cursor"/> (never
    /// back), in one transaction: an event is either queued (and the log then has it) or still after the cursor, never
    /// lost between.
    /// </summary>
    public Task AdvanceAsync(string webhookId, string sessionId, IReadOnlyList<(long EventId, string Kind)> events, long cursor, bool gap, DateTimeOffset now, CancellationToken cancellationToken) =>
        WriteAsync(
            "advance webhook cursor",
            async (connection, transaction, token) =>
            {
                if (events.Count > 0)
                {
                    await QueueDeliveriesAsync(connection, transaction, webhookId, sessionId, events, now, token);
                }

                await using var advance = Command(connection, transaction, AdvanceCursorSql,
                    ("@webhook", webhookId), ("@session", sessionId), ("@cursor", cursor), ("@gap", gap ? 1L : 0L));
                await advance.ExecuteNonQueryAsync(token);
                return true;
            },
            cancellationToken);

    /// <summary>
    /// Forgets the webhook's cursor and deliveries of a session whose journal starts over (the session was deleted and
    /// created again under the same id, so its event ids restart at 1).
    /// </summary>
    public Task ResetSessionAsync(string webhookId, string sessionId, CancellationToken cancellationToken) =>
        WriteAsync(
            "reset webhook session",
            async (connection, transaction, token) =>
            {
                await using var delete = Command(connection, transaction,
                    "DELETE FROM webhook_cursors WHERE webhook_id = @webhook AND session_id = @session; " +
                    "DELETE FROM webhook_deliveries WHERE webhook_id = @webhook AND session_id = @session",
                    ("@webhook", webhookId), ("@session", sessionId));
                await delete.ExecuteNonQueryAsync(token);
                return true;
            },
            cancellationToken);

    public async Task<WebhookDelivery?> NextOpenAsync(string webhookId, string sessionId, CancellationToken cancellationToken) =>
        (await QueryDeliveriesAsync(
            $"SELECT {DeliveryColumns} FROM webhook_deliveries WHERE webhook_id = @webhook AND session_id = @session AND status IN ('pending', 'failed') ORDER BY event_id LIMIT 1",
            cancellationToken, ("@webhook", webhookId), ("@session", sessionId))).FirstOrDefault();

    public async Task<WebhookDelivery?> FindDeliveryAsync(string webhookId, long deliveryId, CancellationToken cancellationToken) =>
        (await QueryDeliveriesAsync($"SELECT {DeliveryColumns} FROM webhook_deliveries WHERE webhook_id = @webhook AND id = @id",
            cancellationToken, ("@webhook", webhookId), ("@id", deliveryId))).FirstOrDefault();

    public Task<IReadOnlyList<WebhookDelivery>> ListDeliveriesAsync(string webhookId, WebhookDeliveryStatus? status, int limit, CancellationToken cancellationToken) =>
        status is { } only
            ? QueryDeliveriesAsync($"SELECT {DeliveryColumns} FROM webhook_deliveries WHERE webhook_id = @webhook AND status = @status ORDER BY id DESC LIMIT @limit",
                cancellationToken, ("@webhook", webhookId), ("@status", WebhookDeliveryStatusNames.Name(only)), ("@limit", (long)limit))
            : QueryDeliveriesAsync($"SELECT {DeliveryColumns} FROM webhook_deliveries WHERE webhook_id = @webhook ORDER BY id DESC LIMIT @limit",
                cancellationToken, ("@webhook", webhookId), ("@limit", (long)limit));

    public Task RecordAsync(WebhookDelivery delivery, CancellationToken cancellationToken) =>
        WriteAsync(
            "record webhook delivery",
            async (connection, transaction, token) =>
            {
                await using var update = Command(connection, transaction,
                    "UPDATE webhook_deliveries SET status = @status, attempts = @attempts, last_attempt_at = @lastAttemptAt, next_attempt_at = @nextAttemptAt, " +
                    "last_status_code = @statusCode, last_error = @error WHERE id = @id",
                    ("@status", WebhookDeliveryStatusNames.Name(delivery.Status)),
                    ("@attempts", delivery.Attempts),
                    ("@lastAttemptAt", delivery.LastAttemptAt?.UtcTicks),
                    ("@nextAttemptAt", delivery.NextAttemptAt?.UtcTicks),
                    ("@statusCode", delivery.LastStatusCode),
                    ("@error", delivery.LastError),
                    ("@id", delivery.Id));
                await update.ExecuteNonQueryAsync(token);
                return true;
            },
            cancellationToken);

    public Task<bool> RequeueAsync(string webhookId, long deliveryId, CancellationToken cancellationToken) =>
        WriteAsync(
            "requeue webhook delivery",
            async (connection, transaction, token) =>
            {
                await using var update = Command(connection, transaction,
                    "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = NULL WHERE webhook_id = @webhook AND id = @id",
                    ("@webhook", webhookId), ("@id", deliveryId));
                return await update.ExecuteNonQueryAsync(token) == 1;
            },
            cancellationToken);

    public Task TrimDeliveredAsync(string webhookId, int keep, CancellationToken cancellationToken) =>
        WriteAsync(
            "trim webhook deliveries",
            async (connection, transaction, token) =>
            {
                await using var delete = Command(connection, transaction,
                    "DELETE FROM webhook_deliveries WHERE webhook_id = @webhook AND status = 'delivered' AND id < " +
                    "(SELECT id FROM webhook_deliveries WHERE webhook_id = @webhook AND status = 'delivered' ORDER BY id DESC LIMIT 1 OFFSET @keep)",
                    ("@webhook", webhookId), ("@keep", (long)keep));
                await delete.ExecuteNonQueryAsync(token);
                return true;
            },
            cancellationToken);

    /// <summary>
    /// Moves the cursor of (<c>@webhook</c>, <c>@session</c>) to <c>@cursor</c>, never back, adding <c>@gap</c> to its
    /// gaps; creates it when absent.
    /// </summary>
    protected abstract string AdvanceCursorSql { get; }

    /// <summary>An open connection.</summary>
    protected abstract Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Runs <paramref name="write"/> in a write transaction of its own and commits it; <paramref name="operation"/> names it for logs.</summary>
    protected abstract Task<T> WriteAsync<T>(string operation, Func<DbConnection, DbTransaction, CancellationToken, Task<T>> write, CancellationToken cancellationToken);

    /// <summary>Inserts a pending delivery per event, in their order, leaving an event already queued as it is.</summary>
    protected abstract Task QueueDeliveriesAsync(
        DbConnection connection, DbTransaction transaction, string webhookId, string sessionId, IReadOnlyList<(long EventId, string Kind)> events, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>A command with its parameters bound (a null value as <see cref="DBNull"/>).</summary>
    protected static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        Bind(command, parameters);
        return command;
    }

    private static void Bind(DbCommand command, params (string Name, object? Value)[] parameters)
    {
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }
    }

    private void BindWebhook(DbCommand command, Webhook webhook) =>
        Bind(command,
            ("@id", webhook.Id),
            ("@tenant", webhook.Tenant),
            ("@url", webhook.Url.OriginalString),
            ("@events", WebhookRows.ToJson(webhook.Events)),
            ("@sessions", WebhookRows.ToJson(webhook.Sessions)),
            ("@description", webhook.Description),

            // A boolean column in PostgreSQL; SQLite stores it as the integer 1 or 0.
            ("@enabled", webhook.Enabled),
            ("@createdAt", webhook.CreatedAt.UtcTicks),
            ("@secret", _secrets.Protect(webhook.Tenant, webhook.Id, webhook.Secret)),
            ("@previous", webhook.PreviousSecret is null ? null : _secrets.Protect(webhook.Tenant, webhook.Id, webhook.PreviousSecret)),
            ("@previousUntil", webhook.PreviousSecretUntil?.UtcTicks));

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
}
