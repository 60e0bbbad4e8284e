namespace Gateway.Api.Webhooks;

/// <summary>
/// Where webhooks, their per-(webhook, session) cursors and their delivery log are kept: beside the gateway's store,
/// in its SQLite file (<see cref="SqliteWebhookStore"/>) or its PostgreSQL database (<see cref="PostgresWebhookStore"/>).
/// Secrets are sealed by <see cref="WebhookSecretProtector"/> in both.
/// </summary>
internal interface IWebhookStore
{
    /// <summary>Every webhook of every tenant, oldest first; rows that cannot be read are logged and skipped.</summary>
    Task<IReadOnlyList<Webhook>> LoadAllAsync(CancellationToken cancellationToken);

    /// <summary>The tenant's webhooks, oldest first.</summary>
    Task<IReadOnlyList<Webhook>> ListAsync(string tenant, CancellationToken cancellationToken);

    /// <summary>The tenant's webhook; null for an unknown id and for another tenant's.</summary>
    Task<Webhook?> FindAsync(string tenant, string id, CancellationToken cancellationToken);

    /// <summary>How many webhooks the tenant has.</summary>
    Task<int> CountAsync(string tenant, CancellationToken cancellationToken);

    /// <summary>Adds a webhook and its starting cursors (the sessions' current heads: only later events are delivered).</summary>
    Task InsertAsync(Webhook webhook, IEnumerable<(string SessionId, long LastEventId)> cursors, CancellationToken cancellationToken);

    /// <summary>Writes every field of the webhook; false when it is gone.</summary>
    Task<bool> UpdateAsync(Webhook webhook, CancellationToken cancellationToken);

    /// <summary>Removes the webhook, its cursors and its delivery log; false when the tenant has none with this id.</summary>
    Task<bool> DeleteAsync(string tenant, string id, CancellationToken cancellationToken);

    /// <summary>The last event id queued for (webhook, session), or null before the first.</summary>
    Task<long?> GetCursorAsync(string webhookId, string sessionId, CancellationToken cancellationToken);

    /// <summary>Sessions the webhook has a cursor or an open delivery for: where to look again after a restart.</summary>
    Task<IReadOnlyList<string>> KnownSessionsAsync(string webhookId, CancellationToken cancellationToken);

    /// <summary>
    /// Queues <paramref name="events"/> as pending deliveries (an event already queued is left as it is) and moves the
    /// cursor forward to <paramref name="cursor"/> (never back), counting a gap, in one transaction: an event is either
    /// queued or still after the cursor, never lost between.
    /// </summary>
    Task AdvanceAsync(string webhookId, string sessionId, IReadOnlyList<(long EventId, string Kind)> events, long cursor, bool gap, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Forgets the webhook's cursor and deliveries of a session whose journal starts over.</summary>
    Task ResetSessionAsync(string webhookId, string sessionId, CancellationToken cancellationToken);

    /// <summary>The session's oldest open (pending or failed) delivery: the head of its line.</summary>
    Task<WebhookDelivery?> NextOpenAsync(string webhookId, string sessionId, CancellationToken cancellationToken);

    /// <summary>One delivery of the webhook, by row id.</summary>
    Task<WebhookDelivery?> FindDeliveryAsync(string webhookId, long deliveryId, CancellationToken cancellationToken);

    /// <summary>The webhook's deliveries, newest first, optionally of one status.</summary>
    Task<IReadOnlyList<WebhookDelivery>> ListDeliveriesAsync(string webhookId, WebhookDeliveryStatus? status, int limit, CancellationToken cancellationToken);

    /// <summary>Records the outcome of an attempt (or of giving up).</summary>
    Task RecordAsync(WebhookDelivery delivery, CancellationToken cancellationToken);

    /// <summary>Queues a delivery again with a fresh attempt budget, whatever its state; false when the webhook has no such delivery.</summary>
    Task<bool> RequeueAsync(string webhookId, long deliveryId, CancellationToken cancellationToken);

    /// <summary>Keeps the newest <paramref name="keep"/> delivered entries of the webhook's log; open and dead ones stay.</summary>
    Task TrimDeliveredAsync(string webhookId, int keep, CancellationToken cancellationToken);
}
