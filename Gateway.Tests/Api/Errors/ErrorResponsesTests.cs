using System.Net;
using System.Text;
using Gateway.Api.Contracts;
using Gateway.Tests.Api.Fakes;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;

namespace Gateway.Tests.Api.Errors;

/// <summary>Error responses over HTTP, with a substitute pool for failures that are hard to provoke for real.</summary>
[Trait("Tier", "Api")]
public sealed class ErrorResponsesTests
{
    private const string Messages = "/api/v1/sessions/s1/messages";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static readonly PostMessageRequest Hello = new() { To = "bob@example.com", Body = "hello" };

    private static (GatewayApiFactory App, FakeSession Session) Start()
    {
        var pool = new FakeSessionPool();
        var session = pool.Add(GatewayApiFactory.AlphaTenant, "s1");
        return (new GatewayApiFactory { Pool = pool }, session);
    }

    [Fact]
    public async Task SendMessage_QueueFull_Returns429WithRetryAfter()
    {
        var (app, session) = Start();
        await using var _ = app;
        session.Failure = new OutboundQueueFullException("s1", 1000, TimeSpan.FromSeconds(3));
        using var client = app.CreateAlphaClient();

        var response = await client.PostJsonAsync(Messages, Hello);

        await response.ProblemAsync(429, "outbound-queue-full");
        Assert.Equal(TimeSpan.FromSeconds(3), response.Headers.RetryAfter?.Delta);
        app.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task SendMessage_SessionReconnecting_Returns503WithRetryAfter()
    {
        var (app, session) = Start();
        await using var _ = app;
        session.Failure = new SessionUnavailableException("s1", SessionState.Reconnecting, "Session 's1' is reconnecting.");
        using var client = app.CreateAlphaClient();

        var response = await client.PostJsonAsync(Messages, Hello);

        var problem = await response.ProblemAsync(503, "session-unavailable");
        Assert.Equal("reconnecting", problem.GetProperty("sessionState").GetString());
        Assert.NotNull(response.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task SendMessage_SessionFailed_Returns409WithoutRetryAfter()
    {
        var (app, session) = Start();
        await using var _ = app;
        session.Failure = new SessionUnavailableException("s1", SessionState.Failed, "Session 's1' failed.");
        using var client = app.CreateAlphaClient();

        var response = await client.PostJsonAsync(Messages, Hello);

        var problem = await response.ProblemAsync(409, "session-unavailable");
        Assert.Equal("failed", problem.GetProperty("sessionState").GetString());
        Assert.Null(response.Headers.RetryAfter);
    }

    [Fact]
    public async Task SendMessage_WaitServerAckTimeout_Returns504()
    {
        var (app, session) = Start();
        await using var _ = app;
        session.Failure = new XmppTimeoutException("Acknowledgement of stanza x", TimeSpan.FromSeconds(15));
        using var client = app.CreateAlphaClient();

        var response = await client.PostJsonAsync(Messages + "?wait=server", Hello);

        await response.ProblemAsync(504, "xmpp-timeout");
    }

    [Theory]
    [Trait("Spec", "RFC 6120 §8.3.3")]
    [InlineData("item-not-found", "cancel", 404)]
    [InlineData("forbidden", "auth", 403)]
    [InlineData("feature-not-implemented", "cancel", 501)]
    [InlineData("service-unavailable", "cancel", 503)]
    [InlineData("remote-server-timeout", "wait", 504)]
    [InlineData("conflict", "cancel", 409)]
    [InlineData("policy-violation", "modify", 502)]
    public async Task SendIq_ErrorReply_MapsConditionToStatusWithXmppFields(string condition, string type, int status)
    {
        var (app, session) = Start();
        await using var _ = app;
        StanzaErrorWireNames.TryParseType(type, out var errorType);
        session.Failure = new StanzaErrorException(new StanzaError(errorType, StanzaErrorWireNames.ParseCondition(condition), "because"));
        using var client = app.CreateAlphaClient();

        var response = await client.PostJsonAsync("/api/v1/sessions/s1/iq", new PostIqRequest { Type = "get", To = "bob@example.com/x", Payload = "<query xmlns='jabber:iq:version'/>" });

        var problem = await response.ProblemAsync(status, "xmpp-stanza-error");
        Assert.Equal(condition, problem.GetProperty("xmppCondition").GetString());
        Assert.Equal(type, problem.GetProperty("xmppErrorType").GetString());
        Assert.Equal("because", problem.GetProperty("xmppText").GetString());
    }

    [Fact]
    public async Task SendIq_Timeout_Returns504()
    {
        var (app, session) = Start();
        await using var _ = app;
        session.Failure = new XmppTimeoutException("IQ abc", TimeSpan.FromSeconds(5));
        using var client = app.CreateAlphaClient();

        var response = await client.PostJsonAsync("/api/v1/sessions/s1/iq", new PostIqRequest { Type = "get", Payload = "<ping xmlns='urn:xmpp:ping'/>", TimeoutSeconds = 5 });

        await response.ProblemAsync(504, "xmpp-timeout");
    }

    [Fact]
    public async Task AnswerIq_NoPendingRequest_Returns404()
    {
        var (app, session) = Start();
        await using var _ = app;
        session.AnswerAccepted = false;
        using var client = app.CreateAlphaClient();

        var response = await client.PostJsonAsync("/api/v1/sessions/s1/iq", new PostIqRequest { Type = "result", Id = "q1", To = "bob@example.com/x" });

        await response.ProblemAsync(404, "iq-request-not-found");
    }

    [Fact]
    public async Task AnswerIq_PendingRequest_Returns204AndAnswersWithError()
    {
        var (app, session) = Start();
        await using var _ = app;
        using var client = app.CreateAlphaClient();

        var response = await client.PostRawAsync("/api/v1/sessions/s1/iq", """
            { "type": "error", "id": "q1", "to": "bob@example.com/x", "error": { "condition": "item-not-found", "text": "no such thing" } }
            """);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var answer = Assert.Single(session.Answers);
        Assert.Equal(IqType.Error, answer.Type);
        Assert.Equal("q1", answer.Id);
        Assert.Equal(StanzaErrorCondition.ItemNotFound, answer.Error!.Condition);
        Assert.Equal(StanzaErrorType.Cancel, answer.Error.Type);
    }

    [Theory]
    [InlineData(SaslConditions.NotAuthorized, 422)]
    [InlineData(SaslConditions.TemporaryAuthFailure, 503)]
    public async Task CreateSession_SaslFailure_MapsWithCondition(string condition, int status)
    {
        var pool = new FakeSessionPool { OnCreate = (_, _, _) => throw new SaslFailedException(condition) };
        await using var app = new GatewayApiFactory { Pool = pool };
        using var client = app.CreateAlphaClient();

        var response = await client.PostJsonAsync("/api/v1/sessions", new CreateSessionRequest { Jid = "a@example.com", Password = "pw" });

        var problem = await response.ProblemAsync(status, "xmpp-auth-failed");
        Assert.Equal(condition, problem.GetProperty("xmppCondition").GetString());
    }

    [Theory]
    [InlineData(typeof(XmppConnectionException), 502, "xmpp-connection-failed")]
    [InlineData(typeof(XmppTlsException), 502, "xmpp-tls-failed")]
    public async Task CreateSession_TransportFailure_Returns502(Type exceptionType, int status, string code)
    {
        var pool = new FakeSessionPool { OnCreate = (_, _, _) => throw (Exception)Activator.CreateInstance(exceptionType, "it failed", null)! };
        await using var app = new GatewayApiFactory { Pool = pool };
        using var client = app.CreateAlphaClient();

        var response = await client.PostJsonAsync("/api/v1/sessions", new CreateSessionRequest { Jid = "a@example.com", Password = "pw" });

        await response.ProblemAsync(status, code);
    }

    [Fact]
    public async Task CreateSession_StreamError_Returns502WithCondition()
    {
        var pool = new FakeSessionPool { OnCreate = (_, _, _) => throw new StreamErrorException(StreamErrorCondition.HostUnknown, "no such host") };
        await using var app = new GatewayApiFactory { Pool = pool };
        using var client = app.CreateAlphaClient();

        var response = await client.PostJsonAsync("/api/v1/sessions", new CreateSessionRequest { Jid = "a@example.com", Password = "pw" });

        var problem = await response.ProblemAsync(502, "xmpp-stream-error");
        Assert.Equal("host-unknown", problem.GetProperty("xmppCondition").GetString());
    }

    [Fact]
    public async Task CreateSession_Timeout_Returns504()
    {
        var pool = new FakeSessionPool { OnCreate = (_, _, _) => throw new XmppTimeoutException("Connecting to 'example.com'", TimeSpan.FromSeconds(15)) };
        await using var app = new GatewayApiFactory { Pool = pool };
        using var client = app.CreateAlphaClient();

        var response = await client.PostJsonAsync("/api/v1/sessions", new CreateSessionRequest { Jid = "a@example.com", Password = "pw" });

        await response.ProblemAsync(504, "xmpp-timeout");
    }

    [Fact]
    public async Task CreateSession_LimitReached_Returns429()
    {
        var pool = new FakeSessionPool { OnCreate = (_, _, _) => throw new SessionLimitException("This tenant holds its maximum of 100 sessions.") };
        await using var app = new GatewayApiFactory { Pool = pool };
        using var client = app.CreateAlphaClient();

        var response = await client.PostJsonAsync("/api/v1/sessions", new CreateSessionRequest { Jid = "a@example.com", Password = "pw" });

        await response.ProblemAsync(429, "session-limit-reached");
    }

    [Fact]
    public async Task CreateSession_DuplicateId_Returns409()
    {
        var pool = new FakeSessionPool();
        pool.Add(GatewayApiFactory.AlphaTenant, "bot");
        await using var app = new GatewayApiFactory { Pool = pool };
        using var client = app.CreateAlphaClient();

        var response = await client.PostJsonAsync("/api/v1/sessions", new CreateSessionRequest { Id = "bot", Jid = "a@example.com", Password = "pw" });

        await response.ProblemAsync(409, "session-exists");
    }

    [Fact]
    public async Task CreateSession_HostOverrideNotAllowed_Returns400AndNeverReachesPool()
    {
        var pool = new FakeSessionPool();
        await using var app = new GatewayApiFactory { Pool = pool };
        app.Settings["Gateway:Pool:AllowHostOverride"] = "false";
        using var client = app.CreateAlphaClient();

        var response = await client.PostJsonAsync("/api/v1/sessions", new CreateSessionRequest { Jid = "a@example.com", Password = "pw", Host = "10.0.0.1", Port = 5222 });

        var problem = await response.ProblemAsync(400, "host-override-not-allowed");
        Assert.Contains("Gateway:Pool:AllowHostOverride", problem.GetProperty("detail").GetString());
        Assert.Empty(pool.Created);
    }

    [Fact]
    public async Task CreateSession_Success_Returns201WithLocationAndNoPassword()
    {
        var pool = new FakeSessionPool();
        await using var app = new GatewayApiFactory { Pool = pool };
        using var client = app.CreateAlphaClient();

        var response = await client.PostJsonAsync("/api/v1/sessions", new CreateSessionRequest { Id = "bot-1", Jid = "a@example.com/res", Password = "hunter2-secret" });

        var session = await response.ReadAsync<SessionDto>(201);
        Assert.Equal("/api/v1/sessions/bot-1", response.Headers.Location?.OriginalString);
        Assert.Equal("bot-1", session.Id);
        Assert.Equal("a@example.com", session.Jid);
        Assert.DoesNotContain("hunter2-secret", await response.Content.ReadAsStringAsync(Token), StringComparison.Ordinal);
        var (tenant, spec) = Assert.Single(pool.Created);
        Assert.Equal(GatewayApiFactory.AlphaTenant, tenant);
        Assert.Equal("res", spec.Resource);
        Assert.Equal("a@example.com", spec.Jid.ToString());
    }

    [Fact]
    public async Task MalformedJson_Returns400ProblemWithReason()
    {
        var (app, _) = Start();
        await using var __ = app;
        using var client = app.CreateAlphaClient();

        var response = await client.PostRawAsync(Messages, "{\"to\": \"bob@example.com\", \"body\": ");

        var problem = await response.ProblemAsync(400, "bad-request");
        Assert.Contains("JSON", problem.GetProperty("detail").GetString());
        app.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task UnknownJsonField_Returns400NamingIt()
    {
        var (app, _) = Start();
        await using var __ = app;
        using var client = app.CreateAlphaClient();

        var response = await client.PostRawAsync(Messages, "{\"to\":\"bob@example.com\",\"body\":\"x\",\"bodyy\":\"typo\"}");

        var problem = await response.ProblemAsync(400, "bad-request");
        Assert.Contains("bodyy", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task DuplicateJsonField_Returns400()
    {
        var (app, _) = Start();
        await using var __ = app;
        using var client = app.CreateAlphaClient();

        var response = await client.PostRawAsync(Messages, "{\"to\":\"bob@example.com\",\"to\":\"eve@example.com\",\"body\":\"x\"}");

        await response.ProblemAsync(400, "bad-request");
    }

    [Fact]
    public async Task MissingRequiredField_Returns400()
    {
        var (app, _) = Start();
        await using var __ = app;
        using var client = app.CreateAlphaClient();

        var response = await client.PostRawAsync(Messages, "{\"body\":\"x\"}");

        var problem = await response.ProblemAsync(400, "bad-request");
        Assert.Contains("to", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task WrongContentType_Returns415Problem()
    {
        var (app, _) = Start();
        await using var __ = app;
        using var client = app.CreateAlphaClient();

        var response = await client.PostRawAsync(Messages, "to=bob", "application/x-www-form-urlencoded");

        await response.ProblemAsync(415, "unsupported-media-type");
    }

    [Fact]
    public async Task BodyOverOneMebibyte_Returns413Problem()
    {
        var (app, _) = Start();
        await using var __ = app;
        using var client = app.CreateAlphaClient();

        var response = await client.PostRawAsync(Messages, "{\"to\":\"bob@example.com\",\"body\":\"" + new string('x', 1024 * 1024) + "\"}");

        await response.ProblemAsync(413, "payload-too-large");
    }

    [Fact]
    public async Task ChunkedBodyOverOneMebibyte_Returns413Problem()
    {
        var (app, _) = Start();
        await using var __ = app;
        using var client = app.CreateAlphaClient();
        var bytes = Encoding.UTF8.GetBytes("{\"to\":\"bob@example.com\",\"body\":\"" + new string('x', 1100 * 1024) + "\"}");
        using var content = new StreamContent(new NonSeekableStream(bytes));
        content.Headers.ContentType = new("application/json");

        var response = await client.PostAsync(Messages, content, Token);

        await response.ProblemAsync(413, "payload-too-large");
    }

    [Theory]
    [InlineData("GET", "/api/v1/nothing-here", 404, "not-found")]
    [InlineData("PUT", "/api/v1/sessions/s1", 405, "method-not-allowed")]
    [InlineData("PUT", "/api/v1/sessions", 405, "method-not-allowed")]
    public async Task StatusOnlyResults_HaveProblemBodies(string method, string url, int status, string code)
    {
        var (app, _) = Start();
        await using var __ = app;
        using var client = app.CreateAlphaClient();

        var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), url), Token);

        await response.ProblemAsync(status, code);
    }

    [Fact]
    public async Task StatusOnlyResult_WhenClientAcceptsOnlyHtml_StillProblemJson()
    {
        var (app, _) = Start();
        await using var __ = app;
        using var client = app.CreateAlphaClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/nothing-here");
        request.Headers.Accept.ParseAdd("text/html");

        var response = await client.SendAsync(request, Token);

        await response.ProblemAsync(404, "not-found");
    }

    /// <summary>A body without Content-Length: sent chunked.</summary>
    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
