namespace Gateway.Api.Errors;

/// <summary>
/// Values of the <c>code</c> field of every error response: stable, machine-readable, never renamed. XMPP-level
/// failures carry the protocol's own condition in <c>xmppCondition</c> in addition.
/// </summary>
public static class ProblemCodes
{
    public const string BadRequest = "bad-request";
    public const string ValidationFailed = "validation-failed";
    public const string JidMalformed = "jid-malformed";
    public const string PayloadTooLarge = "payload-too-large";
    public const string UnsupportedMediaType = "unsupported-media-type";
    public const string Unauthorized = "unauthorized";
    public const string Forbidden = "forbidden";
    public const string NotFound = "not-found";
    public const string MethodNotAllowed = "method-not-allowed";
    public const string SessionNotFound = "session-not-found";
    public const string IqRequestNotFound = "iq-request-not-found";
    public const string HistoryUnavailable = "history-unavailable";
    public const string HostOverrideNotAllowed = "host-override-not-allowed";
    public const string SessionExists = "session-exists";
    public const string SessionBusy = "session-busy";
    public const string SessionLimitReached = "session-limit-reached";
    public const string RateLimited = "rate-limited";
    public const string LoginBudgetExhausted = "login-budget-exhausted";
    public const string OutboundQueueFull = "outbound-queue-full";
    public const string SessionUnavailable = "session-unavailable";
    public const string XmppAuthFailed = "xmpp-auth-failed";
    public const string XmppConnectionFailed = "xmpp-connection-failed";
    public const string XmppTlsFailed = "xmpp-tls-failed";
    public const string XmppTimeout = "xmpp-timeout";
    public const string XmppStreamError = "xmpp-stream-error";
    public const string XmppProtocolError = "xmpp-protocol-error";
    public const string XmppStanzaError = "xmpp-stanza-error";
    public const string XmppError = "xmpp-error";
    public const string RoomNotJoined = "room-not-joined";
    public const string RoomNotFound = "room-not-found";
    public const string RoomLimitReached = "room-limit-reached";
    public const string InternalError = "internal-error";
    public const string FeatureNotSupported = "feature-not-supported";
    public const string AvatarNotFound = "avatar-not-found";
    public const string UploadFailed = "upload-failed";
    public const string ReplayGap = "replay-gap";
    public const string StreamLimitReached = "stream-limit-reached";
    public const string WebhookNotFound = "webhook-not-found";
    public const string WebhookLimitReached = "webhook-limit-reached";
    public const string DeliveryNotFound = "delivery-not-found";
}
