namespace Gateway.Api.Webhooks;

/// <summary>Webhooks and deliveries as JSON.</summary>
internal static class WebhookMapper
{
    /// <summary>Delivery ids on the wire: <c>dlv_</c> + the row id.</summary>
    private const string DeliveryPrefix = "dlv_";

    public static WebhookDto ToDto(Webhook webhook) => new(
        webhook.Id,
        webhook.Url.OriginalString,
        webhook.Events.IsDefault ? null : [.. webhook.Events],
        webhook.Sessions.IsDefault ? null : [.. webhook.Sessions],
        webhook.Description,
        webhook.Enabled,
        webhook.CreatedAt);

    public static CreatedWebhookDto ToCreatedDto(Webhook webhook)
    {
        var dto = ToDto(webhook);
        return new(dto.Id, dto.Url, dto.Events, dto.Sessions, dto.Description, dto.Enabled, dto.CreatedAt, webhook.Secret);
    }

    public static WebhookDeliveryDto ToDto(WebhookDelivery delivery) => new(
        DeliveryId(delivery.Id),
        delivery.EventId,
        delivery.SessionId,
        delivery.Kind,
        WebhookDeliveryStatusNames.Name(delivery.Status),
        delivery.Attempts,
        delivery.CreatedAt,
        delivery.LastAttemptAt,
        delivery.NextAttemptAt,
        delivery.LastStatusCode,
        delivery.LastError);

    public static string DeliveryId(long id) => DeliveryPrefix + id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static bool TryParseDeliveryId(string? value, out long id)
    {
        id = 0;
        return value is not null
            && value.StartsWith(DeliveryPrefix, StringComparison.Ordinal)
            && long.TryParse(value.AsSpan(DeliveryPrefix.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out id)
            && id > 0;
    }
}
