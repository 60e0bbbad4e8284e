using Microsoft.Extensions.Logging;

namespace Gateway.Xmpp.Diagnostics;

/// <summary>Connection manager log lines (3xxx). Sessions are named by tenant and id, never by JID or secret.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Session {Tenant}/{SessionId} is {State}")]
    public static partial void SessionStateChanged(ILogger logger, string tenant, string sessionId, Pool.SessionState state);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "The event buffer is full ({Capacity}); the oldest undelivered event was dropped ({Dropped} so far)")]
    public static partial void EventDropped(ILogger logger, int capacity, long dropped);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Debug, Message = "Session {Tenant}/{SessionId}: the connection dropped while a stanza was being sent; the next connection settles or resends it")]
    public static partial void SendInterrupted(ILogger logger, string tenant, string sessionId);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Information, Message = "Session {Tenant}/{SessionId}: no answer to a forwarded IQ request within {Timeout}; answered service-unavailable")]
    public static partial void IqAnswerTimedOut(ILogger logger, string tenant, string sessionId, TimeSpan timeout);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Information, Message = "Session {Tenant}/{SessionId} restored from the store (events continue after {LastEventId})")]
    public static partial void SessionRestored(ILogger logger, string tenant, string sessionId, long lastEventId);

    [LoggerMessage(EventId = 3014, Level = LogLevel.Information, Message = "Session {Tenant}/{SessionId} moved to new settings")]
    public static partial void SessionReconfigured(ILogger logger, string tenant, string sessionId);

    [LoggerMessage(EventId = 3009, Level = LogLevel.Error, Message = "Writing {Count} events to the event log failed (attempt {Attempt}); retrying, dispatch waits")]
    public static partial void EventLogFailed(ILogger logger, int count, int attempt, Exception exception);

    [LoggerMessage(EventId = 4301, Level = LogLevel.Information, Message = "Session {Tenant}/{SessionId} caught up from the archive: {Received} archived, {Published} not seen before")]
    public static partial void CaughtUp(ILogger logger, string tenant, string sessionId, int received, int published);

    [LoggerMessage(EventId = 4302, Level = LogLevel.Warning, Message = "Session {Tenant}/{SessionId} cannot catch up from the archive ({Condition}); messages received while disconnected may be missing")]
    public static partial void CatchUpUnavailable(ILogger logger, string tenant, string sessionId, string condition);

    [LoggerMessage(EventId = 4305, Level = LogLevel.Information, Message = "Session {Tenant}/{SessionId}: the server offers no archive metadata ({Condition}); should a reconnect need a catch-up, it starts from the first archived message received")]
    public static partial void ArchiveEndUnknown(ILogger logger, string tenant, string sessionId, string condition);

    [LoggerMessage(EventId = 3013, Level = LogLevel.Error, Message = "Session {Tenant}/{SessionId}: the outbox (durable queue of accepted stanzas) failed")]
    public static partial void OutboxFailed(ILogger logger, string tenant, string sessionId, Exception exception);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Debug, Message = "Session {Tenant}/{SessionId} released {Count} messages held during catch-up (caught up: {CaughtUp})")]
    public static partial void HeldReleased(ILogger logger, string tenant, string sessionId, int count, bool caughtUp);

    [LoggerMessage(EventId = 4303, Level = LogLevel.Information, Message = "Session {Tenant}/{SessionId}: {Unconfirmed} sent messages of unknown fate, {Found} found in the archive (not sent again)")]
    public static partial void SentLookedUp(ILogger logger, string tenant, string sessionId, int unconfirmed, int found);

    [LoggerMessage(EventId = 4304, Level = LogLevel.Warning, Message = "Session {Tenant}/{SessionId} cannot look up sent messages in the archive ({Condition}); they are sent again")]
    public static partial void SentLookupUnavailable(ILogger logger, string tenant, string sessionId, string condition);
}
