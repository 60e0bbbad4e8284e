namespace Gateway.Api.Events;

/// <summary>
/// Every log line of the server-sent event streams; event ids 6100–6199 are theirs. Sessions are named by tenant and
/// session id; never a JID, a body or an API key.
/// </summary>
internal static partial class EventStreamLog
{
    [LoggerMessage(EventId = 6101, Level = LogLevel.Debug, Message = "Event stream of session {Tenant}/{SessionId} opened after event {AfterEventId}")]
    public static partial void Opened(ILogger logger, string tenant, string sessionId, long afterEventId);

    [LoggerMessage(EventId = 6102, Level = LogLevel.Debug, Message = "Event stream of session {Tenant}/{SessionId} closed by the client after event {LastEventId}")]
    public static partial void ClosedByClient(ILogger logger, string tenant, string sessionId, long lastEventId);

    [LoggerMessage(EventId = 6103, Level = LogLevel.Information, Message = "Event stream of session {Tenant}/{SessionId} ended ({Reason}) after event {LastEventId}")]
    public static partial void Ended(ILogger logger, string tenant, string sessionId, string reason, long lastEventId);

    [LoggerMessage(EventId = 6104, Level = LogLevel.Warning, Message = "Event stream of session {Tenant}/{SessionId} fell behind: more than {MaxEvents} events or {MaxBytes} bytes waiting (raise Gateway:EventStreams:QueueEvents / QueueBytes); it ends as a slow consumer")]
    public static partial void SlowConsumer(ILogger logger, string tenant, string sessionId, int maxEvents, long maxBytes);

    [LoggerMessage(EventId = 6105, Level = LogLevel.Warning, Message = "Event stream of session {Tenant}/{SessionId}: events {Next} and on are no longer kept (the oldest is {Oldest}); the stream ends with replay-gap")]
    public static partial void ReplayGap(ILogger logger, string tenant, string sessionId, long next, long oldest);

    [LoggerMessage(EventId = 6106, Level = LogLevel.Warning, Message = "Event stream of session {Tenant}/{SessionId}: reading the event log failed; the stream ends and the client resumes with Last-Event-ID")]
    public static partial void ReplayFailed(ILogger logger, string tenant, string sessionId, Exception exception);

    [LoggerMessage(EventId = 6107, Level = LogLevel.Warning, Message = "Event stream of session {Tenant}/{SessionId}: a write took longer than {Timeout}; aborted the connection (raise Gateway:EventStreams:SendTimeout)")]
    public static partial void SendTimedOut(ILogger logger, string tenant, string sessionId, TimeSpan timeout);

    [LoggerMessage(EventId = 6108, Level = LogLevel.Warning, Message = "Event stream refused for tenant {Tenant}: it has {Open} streams open (raise Gateway:EventStreams:MaxStreamsPerTenant)")]
    public static partial void LimitReached(ILogger logger, string tenant, int open);

    [LoggerMessage(EventId = 6109, Level = LogLevel.Warning, Message = "Could not encode event {EventId} of session {Tenant}/{SessionId} for its event streams")]
    public static partial void EncodeFailed(ILogger logger, long eventId, string tenant, string sessionId, Exception exception);
}
