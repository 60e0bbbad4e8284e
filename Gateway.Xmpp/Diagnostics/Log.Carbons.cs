using Microsoft.Extensions.Logging;

namespace Gateway.Xmpp.Diagnostics;

/// <summary>XEP-0280 message carbons (428x). Sessions are named by tenant and id, never by JID.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 4281, Level = LogLevel.Debug, Message = "Session {Tenant}/{SessionId} enabled message carbons")]
    public static partial void CarbonsEnabled(ILogger logger, string tenant, string sessionId);

    [LoggerMessage(EventId = 4282, Level = LogLevel.Information, Message = "Session {Tenant}/{SessionId}: the server did not enable message carbons ({Condition}); messages of the account's other clients are not seen")]
    public static partial void CarbonsRefused(ILogger logger, string tenant, string sessionId, string condition);

    [LoggerMessage(EventId = 4283, Level = LogLevel.Warning, Message = "Session {Tenant}/{SessionId} dropped a carbon copy: {Reason} (XEP-0280 §11)")]
    public static partial void CarbonDropped(ILogger logger, string tenant, string sessionId, string reason);
}
