using Microsoft.Extensions.Logging;

namespace Gateway.Xmpp.Diagnostics;

/// <summary>Reconnecting client log lines (25xx). A client is named by its owner's label (e.g. tenant/session), never by JID or secret.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 2501, Level = LogLevel.Warning, Message = "{Name}: connection lost ({Reason}); reconnect attempt {Attempt} in {Delay}")]
    public static partial void Reconnecting(ILogger logger, string name, string reason, int attempt, TimeSpan delay);

    [LoggerMessage(EventId = 2502, Level = LogLevel.Warning, Message = "{Name} failed and will not retry: {Reason}: {Detail}")]
    public static partial void ConnectionFailed(ILogger logger, string name, string reason, string detail);

    [LoggerMessage(EventId = 2503, Level = LogLevel.Information, Message = "{Name}: keepalive ping got no answer within {Timeout}; dropping the connection")]
    public static partial void KeepAliveUnanswered(ILogger logger, string name, TimeSpan timeout);

    [LoggerMessage(EventId = 2504, Level = LogLevel.Warning, Message = "{Name}: the stream ended without proving it still works; the next connection binds a new stream instead of resuming it")]
    public static partial void ResumptionRefused(ILogger logger, string name);

    [LoggerMessage(EventId = 2505, Level = LogLevel.Error, Message = "{Name}: connection feature {Feature} failed; dropping the connection")]
    public static partial void FeatureFailed(ILogger logger, string name, string feature, Exception exception);

    [LoggerMessage(EventId = 2506, Level = LogLevel.Debug, Message = "{Name}: connection {Number} up (resumed: {Resumed})")]
    public static partial void ConnectionUp(ILogger logger, string name, int number, bool resumed);
}
