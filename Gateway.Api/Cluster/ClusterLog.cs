namespace Gateway.Api.Cluster;

/// <summary>The cluster's log events: EventIds 7100-7199, and 7251-7280 (drain, service accounts). Never logged: the Redis connection string, passwords, JIDs.</summary>
internal static partial class ClusterLog
{
    [LoggerMessage(EventId = 7101, Level = LogLevel.Information, Message = "Cluster mode {Mode}: silo {ClusterId}/{ServiceId} at {Address} silo port {SiloPort}, gateway port {GatewayPort}")]
    public static partial void SiloConfigured(ILogger logger, ClusterMode mode, string clusterId, string serviceId, string address, int siloPort, int gatewayPort);

    [LoggerMessage(EventId = 7110, Level = LogLevel.Information, Message = "Session {Tenant}/{SessionId} hosted on this node")]
    public static partial void SessionHosted(ILogger logger, string tenant, string sessionId);

    [LoggerMessage(EventId = 7111, Level = LogLevel.Information, Message = "Session {Tenant}/{SessionId} released by this node ({Reason})")]
    public static partial void SessionReleased(ILogger logger, string tenant, string sessionId, string reason);

    [LoggerMessage(EventId = 7112, Level = LogLevel.Warning, Message = "Session {Tenant}/{SessionId} could not be released cleanly")]
    public static partial void SessionReleaseFailed(ILogger logger, string tenant, string sessionId, Exception exception);

    [LoggerMessage(EventId = 7113, Level = LogLevel.Debug, Message = "Session {Tenant}/{SessionId} runs on {Silo}, not here: create refused")]
    public static partial void CreateOwnedElsewhere(ILogger logger, string tenant, string sessionId, string silo);

    [LoggerMessage(EventId = 7251, Level = LogLevel.Information, Message = "Session {Tenant}/{SessionId} handed over by this node (stream resumable: {Resumable})")]
    public static partial void SessionHandedOver(ILogger logger, string tenant, string sessionId, bool resumable);

    [LoggerMessage(EventId = 7252, Level = LogLevel.Information, Message = "Session {Tenant}/{SessionId} moved to this node by a drain (resuming its stream: {Resuming})")]
    public static partial void SessionArrived(ILogger logger, string tenant, string sessionId, bool resuming);

    [LoggerMessage(EventId = 7253, Level = LogLevel.Warning, Message = "Session {Tenant}/{SessionId}: the handed-over stream cannot be used; logging in anew")]
    public static partial void HandoverUnusable(ILogger logger, string tenant, string sessionId, Exception exception);

    [LoggerMessage(EventId = 7254, Level = LogLevel.Information, Message = "Draining: moving {Count} sessions to {Targets} other nodes")]
    public static partial void DrainStarted(ILogger logger, int count, int targets);

    [LoggerMessage(EventId = 7255, Level = LogLevel.Information, Message = "Drained: {Moved} of {Count} sessions moved in {Elapsed}")]
    public static partial void DrainFinished(ILogger logger, int moved, int count, TimeSpan elapsed);

    [LoggerMessage(EventId = 7256, Level = LogLevel.Information, Message = "Nothing to drain to: no other active node; {Count} sessions are released and placed again later")]
    public static partial void DrainNoTarget(ILogger logger, int count);

    [LoggerMessage(EventId = 7257, Level = LogLevel.Warning, Message = "Session {Tenant}/{SessionId} could not be moved ({ExceptionType}); it is released with the node")]
    public static partial void DrainFailed(ILogger logger, string tenant, string sessionId, string exceptionType);

    [LoggerMessage(EventId = 7258, Level = LogLevel.Information, Message = "Service account session {Tenant}/{SessionId} already runs in the cluster (its grain placed it); not opened again here")]
    public static partial void AccountOpenedElsewhere(ILogger logger, string tenant, string sessionId);

    [LoggerMessage(EventId = 7120, Level = LogLevel.Debug, Message = "Placement round: {Count} stored sessions, {Hosted} hosted across the cluster, {Failed} unanswered")]
    public static partial void PlacementRound(ILogger logger, int count, int hosted, int failed);

    [LoggerMessage(EventId = 7121, Level = LogLevel.Warning, Message = "Placement round failed; next in {Interval}")]
    public static partial void PlacementRoundFailed(ILogger logger, TimeSpan interval, Exception exception);

    [LoggerMessage(EventId = 7122, Level = LogLevel.Debug, Message = "Session {Tenant}/{SessionId}: its grain did not answer ({ExceptionType}); asked again next round")]
    public static partial void PlacementFailed(ILogger logger, string tenant, string sessionId, string exceptionType);
}
