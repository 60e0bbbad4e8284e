namespace Gateway.Api.Cluster.Forwarding;

/// <summary>The forwarding's log events: EventIds 7201-7220 and 7291-7300. Never logged: headers, bodies, query strings, API keys.</summary>
internal static partial class ForwardingLog
{
    [LoggerMessage(EventId = 7201, Level = LogLevel.Debug, Message = "Session {Tenant}/{SessionId}: {Method} forwarded to {Owner}, answered {Status}")]
    public static partial void Forwarded(ILogger logger, string tenant, string sessionId, string method, string owner, int status);

    [LoggerMessage(EventId = 7202, Level = LogLevel.Warning, Message = "Session {Tenant}/{SessionId}: its node {Owner} could not be reached ({Error}); asking the cluster again")]
    public static partial void OwnerUnreachable(ILogger logger, string tenant, string sessionId, string owner, string error);

    [LoggerMessage(EventId = 7203, Level = LogLevel.Warning, Message = "Session {Tenant}/{SessionId}: {Method} not forwarded ({Reason}); answered 503")]
    public static partial void Unavailable(ILogger logger, string tenant, string sessionId, string method, string reason);

    [LoggerMessage(EventId = 7204, Level = LogLevel.Warning, Message = "A request with a forwarding marker that no node of this cluster made for it was refused (forged, replayed, expired, or the nodes do not share the key ring)")]
    public static partial void MarkerRefused(ILogger logger);

    [LoggerMessage(EventId = 7205, Level = LogLevel.Information, Message = "Session {Tenant}/{SessionId}: a forwarded {Method} arrived, but the session does not run here (moving); answered 503")]
    public static partial void Moving(ILogger logger, string tenant, string sessionId, string method);

    [LoggerMessage(EventId = 7206, Level = LogLevel.Warning, Message = "Session {Tenant}/{SessionId}: its node {Silo} has no Gateway:Cluster:AdvertisedHttpUrl, so calls cannot be forwarded to it")]
    public static partial void OwnerWithoutAddress(ILogger logger, string tenant, string sessionId, string silo);

    [LoggerMessage(EventId = 7207, Level = LogLevel.Warning, Message = "Session {Tenant}/{SessionId}: the cluster did not say where it runs ({ExceptionType})")]
    public static partial void LookupFailed(ILogger logger, string tenant, string sessionId, string exceptionType);

    [LoggerMessage(EventId = 7208, Level = LogLevel.Warning, Message = "Session {Tenant}/{SessionId}: the answer from {Owner} broke off ({Error}); connection aborted")]
    public static partial void AnswerBroken(ILogger logger, string tenant, string sessionId, string owner, string error);

    [LoggerMessage(EventId = 7291, Level = LogLevel.Debug, Message = "Session {Tenant}/{SessionId}: no longer assuming it runs on {Owner} ({Reason}); the next call asks the cluster")]
    public static partial void OwnerForgotten(ILogger logger, string tenant, string sessionId, string owner, string reason);
}
