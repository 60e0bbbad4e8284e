using Microsoft.Extensions.Logging;

namespace Gateway.Xmpp.Diagnostics;

/// <summary>
/// Every log line the library writes. Event ids are a contract: 1xxx transport, 2xxx session, 4xxx XEPs.
/// No password, SASL exchange or message body is ever logged; sessions are named by domain only.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Could not reach {Host}:{Port}: {Reason}")]
    public static partial void EndpointFailed(ILogger logger, string host, int port, string reason);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Debug, Message = "TLS established with {Domain}")]
    public static partial void TlsEstablished(ILogger logger, string domain);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Warning, Message = "Refused to connect to {Host} ({Address}) for {Domain}: not a public address. Allow it only for test servers (XmppClientOptions.AllowPrivateAddresses, Gateway:Pool:AllowHostOverride)")]
    public static partial void AddressRefused(ILogger logger, string domain, string host, System.Net.IPAddress address);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Information, Message = "{Host} (a server for {Domain}) has no address")]
    public static partial void HostUnresolved(ILogger logger, string domain, string host);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Information, Message = "Negotiation with {Host}:{Port} for {Domain} failed ({Kind}); trying the next server if there is one")]
    public static partial void EndpointNegotiationFailed(ILogger logger, string domain, string host, int port, string kind, Exception exception);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Information, Message = "The server for {Domain} redirected to {Target} (see-other-host, redirect {Count} of at most {Max})")]
    public static partial void Redirected(ILogger logger, string domain, string target, int count, int max);

    [LoggerMessage(EventId = 1014, Level = LogLevel.Warning, Message = "Did not follow see-other-host from the server for {Domain} to '{Target}': malformed or too many redirects")]
    public static partial void RedirectIgnored(ILogger logger, string domain, string target);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "Authenticated with {Domain}")]
    public static partial void Authenticated(ILogger logger, string domain);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Session with {Domain} ready via {Host}:{Port} (encrypted: {Encrypted})")]
    public static partial void SessionReady(ILogger logger, string domain, string host, int port, bool encrypted);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "Session with {Domain} ended: {Kind}: {Reason}")]
    public static partial void SessionEnded(ILogger logger, string domain, string kind, string reason);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Protocol violation on the stream with {Domain} ({Condition}): {Reason}")]
    public static partial void ProtocolViolation(ILogger logger, string domain, string condition, string reason);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Debug, Message = "Ignored unexpected element {Name} from {Domain}")]
    public static partial void UnexpectedElement(ILogger logger, string domain, string name);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Information, Message = "Dropped an invalid stanza from {Domain}: {Reason}")]
    public static partial void InvalidStanza(ILogger logger, string domain, string reason);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Debug, Message = "Dropped an IQ reply from {Domain} that matches no request (id {Id}): late, unknown or from the wrong entity")]
    public static partial void UnmatchedIqReply(ILogger logger, string domain, string? id);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Error, Message = "The handler for IQ payload {Payload} failed on the session with {Domain}")]
    public static partial void IqHandlerFailed(ILogger logger, string domain, string payload, Exception exception);

    [LoggerMessage(EventId = 2041, Level = LogLevel.Warning, Message = "The resource requested at bind on {Domain} is in use (conflict, {Attempts} attempts); binding a resource the server assigns")]
    public static partial void BindResourceConflict(ILogger logger, string domain, int attempts);

    [LoggerMessage(EventId = 2009, Level = LogLevel.Information, Message = "The server for {Domain} did not close the stream within {Timeout}; closing the connection")]
    public static partial void CloseTimedOut(ILogger logger, string domain, TimeSpan timeout);
}
