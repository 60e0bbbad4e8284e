namespace Gateway.Api.Cluster;

/// <summary>Webhook hand-off when a session leaves this node: EventIds 7292-7293.</summary>
internal static partial class ClusterLog
{
    [LoggerMessage(EventId = 7292, Level = LogLevel.Warning, Message = "Session {Tenant}/{SessionId} left this node before its webhook attempt on the wire ended; the next node may attempt the same delivery meanwhile (receivers deduplicate by webhook-id)")]
    public static partial void WebhooksNotSettled(ILogger logger, string tenant, string sessionId);
}
