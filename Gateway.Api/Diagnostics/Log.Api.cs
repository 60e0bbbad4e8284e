namespace Gateway.Api.Diagnostics;

/// <summary>
/// The API's log events (style guide §7: 5xxx; 51xx belong to the hub). Event ids and names are a contract.
/// Never logged: API keys, XMPP passwords, query strings in clear, JIDs or bodies at Information and above.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "HTTP {Method} {Route}{Query} responded {StatusCode} in {ElapsedMilliseconds:0.0} ms")]
    public static partial void RequestCompleted(ILogger logger, string method, string route, string query, int statusCode, double elapsedMilliseconds);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Error, Message = "HTTP {Method} {Route} failed with an unhandled exception")]
    public static partial void UnhandledException(ILogger logger, string method, string route, Exception exception);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "HTTP {Method} {Route} failed upstream: {StatusCode} {Code} ({ExceptionType})")]
    public static partial void UpstreamFailure(ILogger logger, string method, string route, int statusCode, string code, string exceptionType);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Debug, Message = "HTTP {Method} {Route} rejected: {StatusCode} {Code}")]
    public static partial void RequestRejected(ILogger logger, string method, string route, int statusCode, string code);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Debug, Message = "HTTP {Method} {Route} aborted by the client")]
    public static partial void RequestAborted(ILogger logger, string method, string route);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Debug, Message = "HTTP {Method} {Route} responded {StatusCode} in {ElapsedMilliseconds:0.0} ms")]
    public static partial void ProbeCompleted(ILogger logger, string method, string route, int statusCode, double elapsedMilliseconds);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Debug, Message = "HTTP POST {Route}: batch of {Count} messages, {Accepted} accepted, {Refused} refused")]
    public static partial void BatchCompleted(ILogger logger, string route, int count, int accepted, int refused);

    [LoggerMessage(EventId = 5010, Level = LogLevel.Information, Message = "Session {Tenant}/{SessionId} created through the API")]
    public static partial void SessionCreated(ILogger logger, string tenant, string sessionId);

    [LoggerMessage(EventId = 5013, Level = LogLevel.Information, Message = "Session {Tenant}/{SessionId} changed through the API (new password: {NewPassword})")]
    public static partial void SessionUpdated(ILogger logger, string tenant, string sessionId, bool newPassword);

    [LoggerMessage(EventId = 5011, Level = LogLevel.Information, Message = "Session {Tenant}/{SessionId} removed through the API")]
    public static partial void SessionRemoved(ILogger logger, string tenant, string sessionId);

    [LoggerMessage(EventId = 5020, Level = LogLevel.Information, Message = "Session pool started")]
    public static partial void PoolStarted(ILogger logger);

    [LoggerMessage(EventId = 5021, Level = LogLevel.Information, Message = "Session pool stopped")]
    public static partial void PoolStopped(ILogger logger);

    [LoggerMessage(EventId = 5022, Level = LogLevel.Information, Message = "Service account session {Tenant}/{SessionId} is online")]
    public static partial void AccountOnline(ILogger logger, string tenant, string sessionId);

    [LoggerMessage(EventId = 5023, Level = LogLevel.Error, Message = "Service account session {Tenant}/{SessionId} could not be started ({ExceptionType}: {Reason}); the gateway keeps running without it")]
    public static partial void AccountFailed(ILogger logger, string tenant, string sessionId, string exceptionType, string reason);

    [LoggerMessage(EventId = 5024, Level = LogLevel.Warning, Message = "Session pool did not stop cleanly")]
    public static partial void PoolStopFailed(ILogger logger, Exception exception);
}
