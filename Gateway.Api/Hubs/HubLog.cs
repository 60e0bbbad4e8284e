namespace Gateway.Api.Hubs;

/// <summary>
/// Every log line of the SignalR hub and its dispatcher. Event ids are a contract; the hub owns 51xx of the API's 5xxx.
/// Sessions are named by tenant and session id; never a JID, a body, an API key or a token.
/// </summary>
internal static partial class HubLog
{
    [LoggerMessage(EventId = 5101, Level = LogLevel.Warning, Message = "Could not deliver {Kind} event {EventId} of session {Tenant}/{SessionId} to connection {ConnectionId}")]
    public static partial void DispatchFailed(ILogger logger, string kind, long eventId, string tenant, string sessionId, string connectionId, Exception exception);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Warning, Message = "Writing {Kind} event {EventId} of session {Tenant}/{SessionId} to connection {ConnectionId} took longer than {Timeout}; closed the connection as a slow consumer (raise Gateway:Hub:SendTimeout)")]
    public static partial void DispatchTimedOut(ILogger logger, string kind, long eventId, string tenant, string sessionId, string connectionId, TimeSpan timeout);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Error, Message = "Reading session events failed; events are not delivered to hub clients until reading resumes in {Delay}")]
    public static partial void EventStreamFailed(ILogger logger, TimeSpan delay, Exception exception);

    [LoggerMessage(EventId = 5104, Level = LogLevel.Information, Message = "The session event stream ended; the hub dispatcher stops")]
    public static partial void EventStreamEnded(ILogger logger);

    [LoggerMessage(EventId = 5105, Level = LogLevel.Debug, Message = "Skipped session event of unknown type {EventType}")]
    public static partial void UnknownEvent(ILogger logger, string eventType);

    [LoggerMessage(EventId = 5106, Level = LogLevel.Debug, Message = "Connection {ConnectionId} subscribed to session {Tenant}/{SessionId}")]
    public static partial void Subscribed(ILogger logger, string connectionId, string tenant, string sessionId);

    [LoggerMessage(EventId = 5107, Level = LogLevel.Debug, Message = "Connection {ConnectionId} unsubscribed from session {Tenant}/{SessionId}")]
    public static partial void Unsubscribed(ILogger logger, string connectionId, string tenant, string sessionId);

    [LoggerMessage(EventId = 5108, Level = LogLevel.Debug, Message = "Hub method {Method} refused: {Reason}")]
    public static partial void MethodRefused(ILogger logger, string method, string reason);

    [LoggerMessage(EventId = 5110, Level = LogLevel.Trace, Message = "Delivered {Kind} event {EventId} of session {Tenant}/{SessionId} to connection {ConnectionId}")]
    public static partial void Dispatched(ILogger logger, string kind, long eventId, string tenant, string sessionId, string connectionId);

    [LoggerMessage(EventId = 5109, Level = LogLevel.Error, Message = "Hub method {Method} failed unexpectedly")]
    public static partial void MethodFailed(ILogger logger, string method, Exception exception);

    [LoggerMessage(EventId = 5111, Level = LogLevel.Information, Message = "Connection {ConnectionId} missed events {Next}..{Received} of session {Tenant}/{SessionId} (dropped before dispatch); replaying them from the event log")]
    public static partial void ReplayingGap(ILogger logger, string connectionId, string tenant, string sessionId, long next, long received);

    [LoggerMessage(EventId = 5112, Level = LogLevel.Warning, Message = "Replaying events of session {Tenant}/{SessionId} to connection {ConnectionId} failed; it gets live events again and sees a gap in event ids")]
    public static partial void ReplayFailed(ILogger logger, string connectionId, string tenant, string sessionId, Exception exception);

    [LoggerMessage(EventId = 5113, Level = LogLevel.Warning, Message = "Events {Next}..{Oldest} of session {Tenant}/{SessionId} were dropped by retention before connection {ConnectionId} caught up; it sees a gap in event ids")]
    public static partial void ReplayGap(ILogger logger, string connectionId, string tenant, string sessionId, long next, long oldest);

    [LoggerMessage(EventId = 5114, Level = LogLevel.Warning, Message = "Connection {ConnectionId} fell behind on session {Tenant}/{SessionId} ({QueuedEvents} events, {QueuedBytes} bytes waiting; the limit is Gateway:Hub:SubscriptionQueueEvents {MaxEvents} / SubscriptionQueueBytes {MaxBytes}): its subscription ended after event {LastEventId} (slow-consumer)")]
    public static partial void SlowConsumer(ILogger logger, string connectionId, string tenant, string sessionId, int queuedEvents, long queuedBytes, int maxEvents, long maxBytes, long lastEventId);

    [LoggerMessage(EventId = 5115, Level = LogLevel.Error, Message = "Delivering session {Tenant}/{SessionId} to connection {ConnectionId} failed unexpectedly; the subscription ended")]
    public static partial void PumpFailed(ILogger logger, string connectionId, string tenant, string sessionId, Exception exception);

    [LoggerMessage(EventId = 5116, Level = LogLevel.Warning, Message = "Stopping: {Count} subscription pumps had not finished delivering; their subscribers get the rest with SubscribeAfter")]
    public static partial void PumpsAbandonedAtStop(ILogger logger, int count);

    [LoggerMessage(EventId = 5117, Level = LogLevel.Error, Message = "Observer {Observer} failed on event {EventId} of session {Tenant}/{SessionId}; the others still got it")]
    public static partial void ObserverFailed(ILogger logger, string observer, long eventId, string tenant, string sessionId, Exception exception);
}
