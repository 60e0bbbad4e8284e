namespace Gateway.Api.Webhooks;

/// <summary>One delivery while it runs through the resilience pipeline: what the retry callbacks need to record attempts.</summary>
internal sealed class WebhookAttempt(WebhookDelivery delivery, string messageId, byte[] body)
{
    public WebhookDelivery Delivery { get; set; } = delivery;

    /// <summary>The <c>webhook-id</c>: the same on every attempt.</summary>
    public string MessageId { get; } = messageId;

    public byte[] Body { get; } = body;

    /// <summary>Attempts made, the ones before this delivery run (a restart, an open circuit) included.</summary>
    public int Attempts { get; set; } = delivery.Attempts;

    /// <summary>When the current attempt started (<see cref="TimeProvider.GetTimestamp"/>).</summary>
    public long StartedAt { get; set; }
}
