using Microsoft.Extensions.Logging;

namespace Gateway.Xmpp.Diagnostics;

/// <summary>What the parts that decide whom to trust and what to reveal log (XEP-0359 trust, roster versioning).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 4351, Level = LogLevel.Information, Message = "Session {Tenant}/{SessionId}: the server does not announce urn:xmpp:sid:0 for the account; stanza-ids are ignored (no archive-id deduplication of live messages)")]
    public static partial void StanzaIdsUntrusted(ILogger logger, string tenant, string sessionId);

    [LoggerMessage(EventId = 4352, Level = LogLevel.Debug, Message = "Session {Tenant}/{SessionId}: the server has not yet said whether it stamps stanza-ids; the connection goes on trusting them: {Trusted} (the previous answer) until it does")]
    public static partial void StanzaIdAnswerLate(ILogger logger, string tenant, string sessionId, bool trusted);

    [LoggerMessage(EventId = 7281, Level = LogLevel.Debug, Message = "Session {Tenant}/{SessionId}: {Backlog} stanzas arrived while the first message that claims an archive id waited for the stanza-id answer (which comes behind them); it goes on trusting stanza-ids: {Trusted} (the previous answer) until the answer comes")]
    public static partial void StanzaIdAnswerBehindBacklog(ILogger logger, string tenant, string sessionId, int backlog, bool trusted);

    [LoggerMessage(EventId = 7282, Level = LogLevel.Debug, Message = "Session {Tenant}/{SessionId}: the stream ended before the server said whether it stamps stanza-ids; the next stream asks at once (trusted meanwhile: {Trusted})")]
    public static partial void StanzaIdAnswerLost(ILogger logger, string tenant, string sessionId, bool trusted);

    [LoggerMessage(EventId = 7283, Level = LogLevel.Debug, Message = "Session {Tenant}/{SessionId}: asks at connect whether the server stamps stanza-ids, owed since a stream ended before its answer (trusted meanwhile: {Trusted})")]
    public static partial void StanzaIdAskedAtConnect(ILogger logger, string tenant, string sessionId, bool trusted);

    [LoggerMessage(EventId = 4353, Level = LogLevel.Debug, Message = "Session {Tenant}/{SessionId}: new stream with the stream features of the one the server answered on; stanza-ids trusted: {Trusted} (that answer, not asked again)")]
    public static partial void StanzaIdAnswerReused(ILogger logger, string tenant, string sessionId, bool trusted);
}
