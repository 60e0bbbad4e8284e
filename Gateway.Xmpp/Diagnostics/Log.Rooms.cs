using Microsoft.Extensions.Logging;

namespace Gateway.Xmpp.Diagnostics;

/// <summary>What a session's rooms (XEP-0045) log: never a room password, nor a room or occupant JID above Debug.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 4451, Level = LogLevel.Information, Message = "Session {Tenant}/{SessionId}: new stream, entering {Rooms} rooms again")]
    public static partial void RoomsRejoining(ILogger logger, string tenant, string sessionId, int rooms);

    [LoggerMessage(EventId = 4452, Level = LogLevel.Warning, Message = "Session {Tenant}/{SessionId}: a room refused to let the session back in ({Condition}); it is no longer in it")]
    public static partial void RoomRejoinRefused(ILogger logger, string tenant, string sessionId, string condition);

    [LoggerMessage(EventId = 4453, Level = LogLevel.Information, Message = "Session {Tenant}/{SessionId}: a room's self-ping says the session was dropped (XEP-0410); entering again")]
    public static partial void RoomDropped(ILogger logger, string tenant, string sessionId);

    [LoggerMessage(EventId = 4454, Level = LogLevel.Warning, Message = "Session {Tenant}/{SessionId}: configuring a room the session created failed ({Kind}); it may stay locked")]
    public static partial void RoomConfigurationFailed(ILogger logger, string tenant, string sessionId, string kind);

    [LoggerMessage(EventId = 4455, Level = LogLevel.Warning, Message = "Session {Tenant}/{SessionId}: storing its rooms failed ({Kind}); a gateway restart may not enter them again")]
    public static partial void RoomStoreFailed(ILogger logger, string tenant, string sessionId, string kind, Exception exception);

    [LoggerMessage(EventId = 4456, Level = LogLevel.Debug, Message = "Session {Tenant}/{SessionId}: a room's self-ping says {Verdict} (XEP-0410)")]
    public static partial void RoomSelfPinged(ILogger logger, string tenant, string sessionId, Muc.SelfPingVerdict verdict);

    [LoggerMessage(EventId = 4457, Level = LogLevel.Debug, Message = "Session {Tenant}/{SessionId}: a room the session is out of, and not yet asked back into, sent an error ({Condition}); it stays a member")]
    public static partial void RoomErrorWhileOut(ILogger logger, string tenant, string sessionId, string condition);
}
