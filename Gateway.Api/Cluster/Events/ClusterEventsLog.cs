namespace Gateway.Api.Cluster.Events;

/// <summary>Cross-node event delivery's log events: EventIds 7221-7250. Sessions are named by tenant and id, nodes by silo address; never a JID or a body.</summary>
internal static partial class ClusterEventsLog
{
    [LoggerMessage(EventId = 7221, Level = LogLevel.Debug, Message = "Node {Silo} follows the events of session {Tenant}/{SessionId} from here")]
    public static partial void Watched(ILogger logger, string silo, string tenant, string sessionId);

    [LoggerMessage(EventId = 7222, Level = LogLevel.Warning, Message = "Could not ring node {Silo} for {Count} sessions' new events; it follows them again at its next refresh")]
    public static partial void RingFailed(ILogger logger, string silo, int count, Exception exception);

    [LoggerMessage(EventId = 7223, Level = LogLevel.Debug, Message = "Following session {Tenant}/{SessionId}, which runs on {Silo}, from event {EventId}")]
    public static partial void Following(ILogger logger, string tenant, string sessionId, string silo, long eventId);

    [LoggerMessage(EventId = 7224, Level = LogLevel.Debug, Message = "Stopped following session {Tenant}/{SessionId} ({Reason})")]
    public static partial void Unfollowed(ILogger logger, string tenant, string sessionId, string reason);

    [LoggerMessage(EventId = 7225, Level = LogLevel.Warning, Message = "Reading the journal of session {Tenant}/{SessionId} for this node's subscribers failed; tried again at the next ring or refresh")]
    public static partial void ReadFailed(ILogger logger, string tenant, string sessionId, Exception exception);

    [LoggerMessage(EventId = 7226, Level = LogLevel.Debug, Message = "Session {Tenant}/{SessionId}: its grain did not answer the refresh ({ExceptionType}); asked again next round")]
    public static partial void RefreshFailed(ILogger logger, string tenant, string sessionId, string exceptionType);

    [LoggerMessage(EventId = 7227, Level = LogLevel.Warning, Message = "Refreshing the followed sessions failed; next round in {Interval}")]
    public static partial void RefreshRoundFailed(ILogger logger, TimeSpan interval, Exception exception);

    [LoggerMessage(EventId = 7228, Level = LogLevel.Warning, Message = "Reading the webhooks from the store failed; this node's webhook workers are synchronised again in {Interval}")]
    public static partial void WebhookSyncFailed(ILogger logger, TimeSpan interval, Exception exception);
}
