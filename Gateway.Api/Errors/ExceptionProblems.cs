using System.Text.Json;
using Gateway.Api.Contracts;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;

namespace Gateway.Api.Errors;

/// <summary>What an exception becomes over HTTP.</summary>
internal sealed record ProblemMapping(int Status, string Code, string Detail)
{
    public string? XmppCondition { get; init; }

    public string? XmppErrorType { get; init; }

    public string? XmppText { get; init; }

    /// <summary>Sent as the <c>Retry-After</c> header, in whole seconds.</summary>
    public TimeSpan? RetryAfter { get; init; }

    public string? SessionState { get; init; }
}

/// <summary>
/// Maps exceptions to HTTP statuses (style guide §6). Pure, so every row is unit-tested. "The remote said no"
/// (a stanza error, a SASL failure) keeps its XMPP condition; "we could not reach it" is 502/504.
/// </summary>
internal static class ExceptionProblems
{
    /// <summary>Retry-After for a session that is connecting or reconnecting.</summary>
    public static readonly TimeSpan ReconnectingRetryAfter = TimeSpan.FromSeconds(5);

    /// <summary>The mapping, or null for an exception that is a bug (500).</summary>
    public static ProblemMapping? Map(Exception exception) => exception switch
    {
        StanzaErrorException e => FromStanzaError(e.Error),
        JidFormatException e => new ProblemMapping(StatusCodes.Status400BadRequest, ProblemCodes.JidMalformed, e.Message)
        {
            XmppCondition = StanzaErrorCondition.JidMalformed.ToWire(),
        },
        SaslFailedException e => FromSasl(e),
        XmppTlsException e => new ProblemMapping(StatusCodes.Status502BadGateway, ProblemCodes.XmppTlsFailed, e.Message),
        XmppConnectionException e => new ProblemMapping(StatusCodes.Status502BadGateway, ProblemCodes.XmppConnectionFailed, e.Message),
        XmppTimeoutException e => new ProblemMapping(StatusCodes.Status504GatewayTimeout, ProblemCodes.XmppTimeout, e.Message),
        StreamErrorException e => new ProblemMapping(StatusCodes.Status502BadGateway, ProblemCodes.XmppStreamError, e.Message)
        {
            XmppCondition = e.Condition.ToWire(),
            XmppText = e.Text,
        },
        XmppProtocolException e => new ProblemMapping(StatusCodes.Status502BadGateway, ProblemCodes.XmppProtocolError, e.Message)
        {
            XmppCondition = e.Condition.ToWire(),
        },
        OutboundQueueFullException e => new ProblemMapping(StatusCodes.Status429TooManyRequests, ProblemCodes.OutboundQueueFull, e.Message)
        {
            RetryAfter = e.RetryAfter,
        },
        StanzaTooLargeException e => new ProblemMapping(StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge, e.Message),
        SessionUnavailableException e => e.IsTransient
            ? new ProblemMapping(StatusCodes.Status503ServiceUnavailable, ProblemCodes.SessionUnavailable, e.Message)
            {
                RetryAfter = ReconnectingRetryAfter,
                SessionState = SessionMapper.StateName(e.State),
            }
            : new ProblemMapping(StatusCodes.Status409Conflict, ProblemCodes.SessionUnavailable, e.Message)
            {
                SessionState = SessionMapper.StateName(e.State),
            },
        FeatureNotSupportedException e => new ProblemMapping(StatusCodes.Status409Conflict, ProblemCodes.FeatureNotSupported, e.Message),
        Xmpp.HttpUpload.UploadTooLargeException e => new ProblemMapping(StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge, e.Message),
        Xmpp.HttpUpload.HttpUploadException e => new ProblemMapping(StatusCodes.Status502BadGateway, ProblemCodes.UploadFailed, e.Message),
        SessionLimitException e => new ProblemMapping(StatusCodes.Status429TooManyRequests, ProblemCodes.SessionLimitReached, e.Message),
        SessionConflictException e => new ProblemMapping(StatusCodes.Status409Conflict, ProblemCodes.SessionExists, e.Message),
        SessionBusyException e => new ProblemMapping(StatusCodes.Status409Conflict, ProblemCodes.SessionBusy, e.Message),
        RoomNotJoinedException e => new ProblemMapping(StatusCodes.Status409Conflict, ProblemCodes.RoomNotJoined, e.Message),
        RoomLimitException e => new ProblemMapping(StatusCodes.Status409Conflict, ProblemCodes.RoomLimitReached, e.Message),
        XmppException e => new ProblemMapping(StatusCodes.Status502BadGateway, ProblemCodes.XmppError, e.Message),
        BadHttpRequestException e => FromBadRequest(e),
        JsonException e => new ProblemMapping(StatusCodes.Status400BadRequest, ProblemCodes.BadRequest, $"The request body is not valid JSON for this operation: {e.Message}"),
        _ => null,
    };

    /// <summary>RFC 6120 §8.3.3 conditions to HTTP (style guide §6).</summary>
    public static int StatusFor(StanzaErrorCondition condition) => condition switch
    {
        StanzaErrorCondition.ItemNotFound => StatusCodes.Status404NotFound,
        StanzaErrorCondition.BadRequest or StanzaErrorCondition.JidMalformed => StatusCodes.Status400BadRequest,
        // XEP-0045 §7.2.7, §8-§10: a room's not-allowed (our role may not) and registration-required (members-only) too.
        StanzaErrorCondition.Forbidden or StanzaErrorCondition.NotAuthorized or StanzaErrorCondition.NotAllowed
            or StanzaErrorCondition.RegistrationRequired => StatusCodes.Status403Forbidden,
        StanzaErrorCondition.Conflict => StatusCodes.Status409Conflict,
        StanzaErrorCondition.FeatureNotImplemented => StatusCodes.Status501NotImplemented,
        StanzaErrorCondition.ServiceUnavailable => StatusCodes.Status503ServiceUnavailable,
        StanzaErrorCondition.RemoteServerTimeout => StatusCodes.Status504GatewayTimeout,
        _ => StatusCodes.Status502BadGateway,
    };

    private static ProblemMapping FromStanzaError(StanzaError error) =>
        new(StatusFor(error.Condition), ProblemCodes.XmppStanzaError, error.ToString())
        {
            XmppCondition = error.Condition.ToWire(),
            XmppErrorType = error.Type.ToWire(),
            XmppText = error.Text,
        };

    private static ProblemMapping FromSasl(SaslFailedException e)
    {
        // 401 is the API key's answer; an XMPP account the server refused is a semantic problem of the request (422).
        var status = e.IsCredentialFailure ? StatusCodes.Status422UnprocessableEntity
            : e.IsTransient ? StatusCodes.Status503ServiceUnavailable
            : StatusCodes.Status502BadGateway;
        return new ProblemMapping(status, ProblemCodes.XmppAuthFailed, e.Message)
        {
            XmppCondition = e.Condition,
            XmppText = e.Text,
            RetryAfter = e.IsTransient ? ReconnectingRetryAfter : null,
        };
    }

    private static ProblemMapping FromBadRequest(BadHttpRequestException e)
    {
        var status = e.StatusCode is >= 400 and < 500 ? e.StatusCode : StatusCodes.Status400BadRequest;
        var code = status switch
        {
            StatusCodes.Status413PayloadTooLarge => ProblemCodes.PayloadTooLarge,
            StatusCodes.Status415UnsupportedMediaType => ProblemCodes.UnsupportedMediaType,
            _ => ProblemCodes.BadRequest,
        };

        // The JSON reader says where the body went wrong (path, line, byte); it never repeats values.
        var detail = e.InnerException is JsonException json ? $"{e.Message} {json.Message}" : e.Message;
        return new ProblemMapping(status, code, detail);
    }
}
