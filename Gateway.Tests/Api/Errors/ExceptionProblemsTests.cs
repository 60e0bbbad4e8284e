using Gateway.Api.Errors;
using Microsoft.AspNetCore.Http;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;

namespace Gateway.Tests.Api.Errors;

[Trait("Tier", "Unit")]
public sealed class ExceptionProblemsTests
{
    [Theory]
    [Trait("Spec", "RFC 6120 §8.3.3")]
    [InlineData(StanzaErrorCondition.ItemNotFound, 404)]
    [InlineData(StanzaErrorCondition.BadRequest, 400)]
    [InlineData(StanzaErrorCondition.JidMalformed, 400)]
    [InlineData(StanzaErrorCondition.Forbidden, 403)]
    [InlineData(StanzaErrorCondition.NotAuthorized, 403)]
    [InlineData(StanzaErrorCondition.NotAllowed, 403)]
    [InlineData(StanzaErrorCondition.RegistrationRequired, 403)]
    [InlineData(StanzaErrorCondition.Conflict, 409)]
    [InlineData(StanzaErrorCondition.FeatureNotImplemented, 501)]
    [InlineData(StanzaErrorCondition.ServiceUnavailable, 503)]
    [InlineData(StanzaErrorCondition.RemoteServerTimeout, 504)]
    [InlineData(StanzaErrorCondition.RemoteServerNotFound, 502)]
    [InlineData(StanzaErrorCondition.InternalServerError, 502)]
    [InlineData(StanzaErrorCondition.UndefinedCondition, 502)]
    public void Map_StanzaError_StatusFollowsCondition(StanzaErrorCondition condition, int status)
    {
        var mapping = ExceptionProblems.Map(new StanzaErrorException(new StanzaError(StanzaErrorType.Cancel, condition, "said no")));

        Assert.NotNull(mapping);
        Assert.Equal(status, mapping.Status);
        Assert.Equal(ProblemCodes.XmppStanzaError, mapping.Code);
        Assert.Equal(condition.ToWire(), mapping.XmppCondition);
        Assert.Equal("cancel", mapping.XmppErrorType);
        Assert.Equal("said no", mapping.XmppText);
    }

    public static TheoryData<Exception, int, string> Exceptions => new()
    {
        { new JidFormatException(JidPart.Domain, "JID domainpart is empty"), 400, ProblemCodes.JidMalformed },
        { new SaslFailedException(SaslConditions.NotAuthorized), 422, ProblemCodes.XmppAuthFailed },
        { new SaslFailedException(SaslConditions.AccountDisabled), 422, ProblemCodes.XmppAuthFailed },
        { new SaslFailedException(SaslConditions.TemporaryAuthFailure), 503, ProblemCodes.XmppAuthFailed },
        { new SaslFailedException(SaslConditions.ServerSignatureMismatch), 502, ProblemCodes.XmppAuthFailed },
        { new XmppTlsException("untrusted certificate"), 502, ProblemCodes.XmppTlsFailed },
        { new XmppConnectionException("connection refused"), 502, ProblemCodes.XmppConnectionFailed },
        { new XmppTimeoutException("IQ x", TimeSpan.FromSeconds(30)), 504, ProblemCodes.XmppTimeout },
        { new StreamErrorException(StreamErrorCondition.Conflict, "replaced"), 502, ProblemCodes.XmppStreamError },
        { new XmppProtocolException(StreamErrorCondition.BadFormat, "bad"), 502, ProblemCodes.XmppProtocolError },
        { new OutboundQueueFullException("s1", 10, TimeSpan.FromSeconds(2)), 429, ProblemCodes.OutboundQueueFull },
        { new SessionUnavailableException("s1", SessionState.Reconnecting, "reconnecting"), 503, ProblemCodes.SessionUnavailable },
        { new SessionUnavailableException("s1", SessionState.Connecting, "connecting"), 503, ProblemCodes.SessionUnavailable },
        { new SessionUnavailableException("s1", SessionState.Failed, "failed"), 409, ProblemCodes.SessionUnavailable },
        { new SessionUnavailableException("s1", SessionState.Stopped, "stopped"), 409, ProblemCodes.SessionUnavailable },
        { new SessionLimitException("full"), 429, ProblemCodes.SessionLimitReached },
        { new SessionConflictException("s1"), 409, ProblemCodes.SessionExists },
        { new SessionBusyException("s1"), 409, ProblemCodes.SessionBusy },
        { new RoomNotJoinedException(Jid.Parse("dev@conference.example.com"), RoomJoinState.Rejoining), 409, ProblemCodes.RoomNotJoined },
        { new RoomLimitException(100), 409, ProblemCodes.RoomLimitReached },
        { new BadHttpRequestException("too big", 413), 413, ProblemCodes.PayloadTooLarge },
        { new BadHttpRequestException("wrong type", 415), 415, ProblemCodes.UnsupportedMediaType },
        { new BadHttpRequestException("bad"), 400, ProblemCodes.BadRequest },
    };

    [Theory]
    [MemberData(nameof(Exceptions))]
    public void Map_Exception_GivesStatusAndCode(Exception exception, int status, string code)
    {
        var mapping = ExceptionProblems.Map(exception);

        Assert.NotNull(mapping);
        Assert.Equal(status, mapping.Status);
        Assert.Equal(code, mapping.Code);
    }

    [Fact]
    public void Map_WrongPassword_CarriesSaslCondition()
    {
        var mapping = ExceptionProblems.Map(new SaslFailedException(SaslConditions.NotAuthorized, "Unable to authorize you"))!;

        Assert.Equal("not-authorized", mapping.XmppCondition);
        Assert.Equal("Unable to authorize you", mapping.XmppText);
        Assert.Null(mapping.RetryAfter);
    }

    [Fact]
    public void Map_QueueFull_RetryAfterFromException()
    {
        var mapping = ExceptionProblems.Map(new OutboundQueueFullException("s1", 10, TimeSpan.FromMilliseconds(1500)))!;

        Assert.Equal(TimeSpan.FromMilliseconds(1500), mapping.RetryAfter);
        Assert.Equal("2", XmppExceptionHandler.RetryAfterSeconds(mapping.RetryAfter!.Value));
    }

    [Fact]
    public void Map_UnavailableWhileReconnecting_HasRetryAfterAndState()
    {
        var mapping = ExceptionProblems.Map(new SessionUnavailableException("s1", SessionState.Reconnecting, "reconnecting"))!;

        Assert.NotNull(mapping.RetryAfter);
        Assert.Equal("reconnecting", mapping.SessionState);
    }

    [Fact]
    public void Map_Bug_ReturnsNull()
    {
        Assert.Null(ExceptionProblems.Map(new InvalidOperationException("bug")));
        Assert.Null(ExceptionProblems.Map(new NullReferenceException()));
    }
}
