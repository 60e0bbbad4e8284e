using Microsoft.Extensions.Logging;

namespace Gateway.Xmpp.Diagnostics;

/// <summary>What the account features (blocking, uploads) log.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 4601, Level = LogLevel.Debug, Message = "Session {Tenant}/{SessionId}: ignored a blocklist push that did not come from the account's server")]
    public static partial void BlocklistPushSpoofed(ILogger logger, string tenant, string sessionId);

    [LoggerMessage(EventId = 4602, Level = LogLevel.Information, Message = "Session {Tenant}/{SessionId}: uploaded {Bytes} bytes to {Host} and shared the link as message {MessageId}")]
    public static partial void FileUploaded(ILogger logger, string tenant, string sessionId, long bytes, string host, string messageId);
}
