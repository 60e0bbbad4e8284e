namespace Gateway.Api.Webhooks;

/// <summary>One event for one webhook, as the delivery log keeps it.</summary>
/// <param name="Id">Row id: increases with creation.</param>
/// <param name="WebhookId">The webhook.</param>
/// <param name="SessionId">The session the event belongs to.</param>
/// <param name="EventId">The event's id in the session's journal.</param>
/// <param name="Kind">The event kind.</param>
/// <param name="Status">Where the delivery is.</param>
/// <param name="Attempts">Attempts made since it was (re)queued.</param>
/// <param name="CreatedAt">When it was queued first.</param>
/// <param name="LastAttemptAt">When the last attempt ended.</param>
/// <param name="NextAttemptAt">When the next attempt is due, while one is.</param>
/// <param name="LastStatusCode">The HTTP status of the last attempt, when the receiver answered.</param>
/// <param name="LastError">Why the last attempt failed (no response body: that stays unread).</param>
internal sealed record WebhookDelivery(
    long Id,
    string WebhookId,
    string SessionId,
    long EventId,
    string Kind,
    WebhookDeliveryStatus Status,
    int Attempts,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastAttemptAt,
    DateTimeOffset? NextAttemptAt,
    int? LastStatusCode,
    string? LastError);

/// <summary>The states of a delivery; their wire names are a contract.</summary>
internal enum WebhookDeliveryStatus
{
    /// <summary>Queued, not attempted yet (or queued again by a redeliver call).</summary>
    Pending,

    /// <summary>The receiver answered 2xx.</summary>
    Delivered,

    /// <summary>Attempted and failed; the next attempt is due at <see cref="WebhookDelivery.NextAttemptAt"/>.</summary>
    Failed,

    /// <summary>Every attempt failed (or the event left the journal): given up until redelivered.</summary>
    Dead,
}

/// <summary>Wire names of <see cref="WebhookDeliveryStatus"/>.</summary>
internal static class WebhookDeliveryStatusNames
{
    public const string Rule = "must be pending, delivered, failed or dead";

    public static string Name(WebhookDeliveryStatus status) => status switch
    {
        WebhookDeliveryStatus.Pending => "pending",
        WebhookDeliveryStatus.Delivered => "delivered",
        WebhookDeliveryStatus.Failed => "failed",
        WebhookDeliveryStatus.Dead => "dead",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    public static bool TryParse(string? name, out WebhookDeliveryStatus status)
    {
        (var ok, status) = name switch
        {
            "pending" => (true, WebhookDeliveryStatus.Pending),
            "delivered" => (true, WebhookDeliveryStatus.Delivered),
            "failed" => (true, WebhookDeliveryStatus.Failed),
            "dead" => (true, WebhookDeliveryStatus.Dead),
            _ => (false, WebhookDeliveryStatus.Pending),
        };
        return ok;
    }
}
