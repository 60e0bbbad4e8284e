namespace Gateway.Api.Cluster;

/// <summary>The cluster's log events: EventIds 7100-7199. Never logged: the Redis connection string, passwords, JIDs.</summary>
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

    [LoggerMessage(EventId = 7120, Level = LogLevel.Debug, Message = "Placement round: {Count} stored sessions, {Hosted} hosted across the cluster, {Failed} unanswered")]
    public static partial void PlacementRound(ILogger logger, int count, int hosted, int failed);

    [LoggerMessage(EventId = 7121, Level = LogLevel.Warning, Message = "Placement round failed; next in {Interval}")]
    public static partial void PlacementRoundFailed(ILogger logger, TimeSpan interval, Exception exception);

    [LoggerMessage(EventId = 7122, Level = LogLevel.Debug, Message = "Session {Tenant}/{SessionId}: its grain did not answer ({ExceptionType}); asked again next round")]
    public static partial void PlacementFailed(ILogger logger, string tenant, string sessionId, string exceptionType);
}
