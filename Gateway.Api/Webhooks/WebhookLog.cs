namespace Gateway.Api.Webhooks;

/// <summary>Webhook log events (60xx). URLs are logged by origin only: a path or query may carry a receiver's token.</summary>
internal static partial class WebhookLog
{
    [LoggerMessage(EventId = 6000, Level = LogLevel.Information, Message = "Webhook {WebhookId} of tenant {Tenant} registered for {Origin}")]
    public static partial void Registered(ILogger logger, string webhookId, string tenant, string origin);

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Webhook {WebhookId} of tenant {Tenant} updated")]
    public static partial void Updated(ILogger logger, string webhookId, string tenant);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Information, Message = "Webhook {WebhookId} of tenant {Tenant} deleted")]
    public static partial void Deleted(ILogger logger, string webhookId, string tenant);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Information, Message = "Webhook {WebhookId} of tenant {Tenant}: secret rotated")]
    public static partial void SecretRotated(ILogger logger, string webhookId, string tenant);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Information, Message = "Webhook {WebhookId}: delivery {DeliveryId} queued again")]
    public static partial void Redelivering(ILogger logger, string webhookId, long deliveryId);

    [LoggerMessage(EventId = 6010, Level = LogLevel.Debug, Message = "Webhook {WebhookId}: event {SessionId}/{EventId} delivered ({StatusCode}) after {Attempts} attempt(s)")]
    public static partial void Delivered(ILogger logger, string webhookId, string sessionId, long eventId, int statusCode, int attempts);

    [LoggerMessage(EventId = 6011, Level = LogLevel.Information, Message = "Webhook {WebhookId}: event {SessionId}/{EventId} attempt {Attempt} failed ({Failure}); next in {Delay}")]
    public static partial void AttemptFailed(ILogger logger, string webhookId, string sessionId, long eventId, int attempt, string failure, TimeSpan delay);

    [LoggerMessage(EventId = 6012, Level = LogLevel.Warning, Message = "Webhook {WebhookId}: event {SessionId}/{EventId} dead-lettered after {Attempts} attempt(s) ({Failure}); redeliver it once the receiver works")]
    public static partial void DeadLettered(ILogger logger, string webhookId, string sessionId, long eventId, int attempts, string failure);

    [LoggerMessage(EventId = 6013, Level = LogLevel.Warning, Message = "Webhook {WebhookId}: circuit opened for {Duration} after repeated failures")]
    public static partial void CircuitOpened(ILogger logger, string webhookId, TimeSpan duration);

    [LoggerMessage(EventId = 6014, Level = LogLevel.Information, Message = "Webhook {WebhookId}: circuit closed")]
    public static partial void CircuitClosed(ILogger logger, string webhookId);

    [LoggerMessage(EventId = 6015, Level = LogLevel.Warning, Message = "Webhook {WebhookId}: events of session {SessionId} after {Cursor} up to {OldestAvailable} left the journal (retention) before they were delivered")]
    public static partial void JournalGap(ILogger logger, string webhookId, string sessionId, long cursor, long oldestAvailable);

    [LoggerMessage(EventId = 6016, Level = LogLevel.Warning, Message = "Webhook {WebhookId}: session {SessionId} lane failed; retrying in {Delay}")]
    public static partial void LaneFailed(ILogger logger, string webhookId, string sessionId, TimeSpan delay, Exception exception);

    [LoggerMessage(EventId = 6017, Level = LogLevel.Warning, Message = "Webhooks could not be loaded; retrying in {Delay}")]
    public static partial void LoadFailed(ILogger logger, TimeSpan delay, Exception exception);

    [LoggerMessage(EventId = 6018, Level = LogLevel.Warning, Message = "Webhook {WebhookId} of tenant {Tenant} is unreadable ({Reason}): not delivered to until its secret is rotated or it is recreated")]
    public static partial void WebhookRowUnreadable(ILogger logger, string tenant, string webhookId, string reason);

    [LoggerMessage(EventId = 6019, Level = LogLevel.Debug, Message = "Webhook connection to {Host} refused: {Reason}")]
    public static partial void ConnectRefused(ILogger logger, string host, string reason);
}
