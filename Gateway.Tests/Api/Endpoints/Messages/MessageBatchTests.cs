using System.Net;
using System.Text;
using System.Text.Json;
using Gateway.Api.Contracts;
using Gateway.Tests.Api.Fakes;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Api.Endpoints.Messages;

/// <summary>
/// <c>POST /sessions/{id}/messages/batch</c> with a substitute pool: validation, the body limit, and refusals that are
/// hard to provoke with a real server at a chosen message (a queue that fills mid-batch, one acknowledgement that times
/// out). Order and delivery against the real pool: <see cref="EndToEnd.MessageBatchEndToEndTests"/>.
/// </summary>
[Trait("Tier", "Api")]
public sealed class MessageBatchTests
{
    private const string Batch = "/api/v1/sessions/s1/messages/batch";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static (GatewayApiFactory App, FakeSession Session) Start()
    {
        var pool = new FakeSessionPool();
        var session = pool.Add(GatewayApiFactory.AlphaTenant, "s1");
        return (new GatewayApiFactory { Pool = pool }, session);
    }

    private static PostMessageRequest Message(int i) => new() { To = "bob@example.com", Body = $"m{i}", Id = $"id-{i}" };

    private static PostMessageBatchRequest Of(params IEnumerable<PostMessageRequest> messages) => new() { Messages = [.. messages] };

    private static PostMessageBatchRequest Numbered(int count) => Of(Enumerable.Range(0, count).Select(Message));

    private static List<string?> SentBodies(FakeSession session) => [.. session.Enqueued.Select(e => ((Message)e.Stanza).Body)];

    private static JsonElement Item(JsonElement batch, int index)
    {
        var item = batch.GetProperty("results")[index];
        Assert.Equal(index, item.GetProperty("index").GetInt32());
        return item;
    }

    /// <summary>Asserts the item is refused with problem details of this status and code; returns the problem.</summary>
    private static JsonElement Refused(JsonElement batch, int index, int status, string code)
    {
        var item = Item(batch, index);
        Assert.False(item.TryGetProperty("id", out _), item.ToString());
        var problem = item.GetProperty("problem");
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("traceId").GetString()));
        return problem;
    }

    private static async Task<JsonElement> ReadBatchAsync(HttpResponseMessage response, int accepted, int refused)
    {
        var text = await response.Content.ReadAsStringAsync(Token);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"Expected 202, got {(int)response.StatusCode}: {text}");
        var batch = JsonDocument.Parse(text).RootElement;
        Assert.Equal(accepted, batch.GetProperty("accepted").GetInt32());
        Assert.Equal(refused, batch.GetProperty("refused").GetInt32());
        Assert.Equal(accepted + refused, batch.GetProperty("results").GetArrayLength());
        return batch;
    }

    [Fact]
    public async Task SendBatch_ValidMessages_AllAcceptedInRequestOrder()
    {
        var (app, session) = Start();
        await using var __ = app;
        using var client = app.CreateAlphaClient();

        var batch = await ReadBatchAsync(await client.PostJsonAsync(Batch, Numbered(5)), accepted: 5, refused: 0);

        for (var i = 0; i < 5; i++)
        {
            var item = Item(batch, i);
            Assert.Equal($"id-{i}", item.GetProperty("id").GetString());
            Assert.False(item.GetProperty("ackedByServer").GetBoolean());
            Assert.False(item.TryGetProperty("problem", out _));
        }

        Assert.Equal(["m0", "m1", "m2", "m3", "m4"], SentBodies(session));
        Assert.All(session.Enqueued, e => Assert.Equal(DeliveryWait.Queued, e.Wait));
        app.Logs.AssertNoErrors();
    }

    [Fact]
    [Trait("Spec", "XEP-0184, XEP-0333")]
    public async Task SendBatch_RequestReceiptsPerMessage_EachSendAsksForItsOwn()
    {
        var (app, session) = Start();
        await using var __ = app;
        using var client = app.CreateAlphaClient();

        await ReadBatchAsync(await client.PostJsonAsync(Batch, Of(Message(0), Message(1) with { RequestReceipts = false }, Message(2) with { RequestReceipts = true })), accepted: 3, refused: 0);

        Assert.Equal([("id-0", RecipientReports.SessionDefault), ("id-1", RecipientReports.None), ("id-2", RecipientReports.Requested)], session.ReportsAsked);
        app.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task SendBatch_EmptyList_400NothingSent()
    {
        var (app, session) = Start();
        await using var __ = app;
        using var client = app.CreateAlphaClient();

        var problem = await (await client.PostRawAsync(Batch, "{\"messages\":[]}")).ProblemAsync(400, "validation-failed");

        Assert.True(problem.GetProperty("errors").TryGetProperty("messages", out _), problem.ToString());
        Assert.Empty(session.Enqueued);
    }

    [Fact]
    public async Task SendBatch_OverMaximum_400ButMaximumItselfAccepted()
    {
        var (app, session) = Start();
        await using var __ = app;
        using var client = app.CreateAlphaClient();

        var problem = await (await client.PostJsonAsync(Batch, Numbered(PostMessageBatchRequest.MaxMessages + 1))).ProblemAsync(400, "validation-failed");
        Assert.Contains("1001", problem.GetProperty("errors").GetProperty("messages")[0].GetString(), StringComparison.Ordinal);
        Assert.Empty(session.Enqueued);

        await ReadBatchAsync(await client.PostJsonAsync(Batch, Numbered(PostMessageBatchRequest.MaxMessages)), accepted: 1000, refused: 0);
        Assert.Equal(1000, session.Enqueued.Count);
    }

    [Fact]
    public async Task SendBatch_OneInvalidAmongValid_ItsOwnProblemAndTheOthersSent()
    {
        var (app, session) = Start();
        await using var __ = app;
        using var client = app.CreateAlphaClient();

        var response = await client.PostJsonAsync(Batch, Of(Message(0), Message(1) with { To = "@example.com" }, Message(2) with { Body = null }, Message(3)));

        var batch = await ReadBatchAsync(response, accepted: 2, refused: 2);
        var badTo = Refused(batch, 1, 400, "validation-failed");
        Assert.Equal("https://tools.ietf.org/html/rfc9110#section-15.5.1", badTo.GetProperty("type").GetString());
        Assert.True(badTo.GetProperty("errors").TryGetProperty("to", out _), badTo.ToString());
        Assert.True(Refused(batch, 2, 400, "validation-failed").GetProperty("errors").TryGetProperty("body", out _));
        Assert.Equal("id-3", Item(batch, 3).GetProperty("id").GetString());
        Assert.Equal(["m0", "m3"], SentBodies(session));
    }

    [Fact]
    public async Task SendBatch_AllInvalid_400WithErrorsPerMessageNothingSent()
    {
        var (app, session) = Start();
        await using var __ = app;
        using var client = app.CreateAlphaClient();

        var response = await client.PostJsonAsync(Batch, Of(Message(0) with { To = "@example.com" }, Message(1) with { Body = null }, Message(2) with { Type = "error" }));

        var errors = (await response.ProblemAsync(400, "validation-failed")).GetProperty("errors");
        Assert.True(errors.TryGetProperty("messages[0].to", out _), errors.ToString());
        Assert.True(errors.TryGetProperty("messages[1].body", out _), errors.ToString());
        Assert.True(errors.TryGetProperty("messages[2].type", out _), errors.ToString());
        Assert.Empty(session.Enqueued);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[{\"to\":\"bob@example.com\",\"body\":\"x\"}]")]
    [InlineData("{}")]
    [InlineData("{\"messages\":null}")]
    [InlineData("{\"messages\":{}}")]
    [InlineData("{\"messages\":\"x\"}")]
    [InlineData("{\"messages\":[1]}")]
    [InlineData("{\"messages\":[[]]}")]
    [InlineData("{\"messages\":[{\"to\":5,\"body\":\"x\"}]}")]
    [InlineData("{\"messages\":[{\"to\":\"bob@example.com\",\"body\":[\"x\"]}]}")]
    [InlineData("{\"messages\":[{\"body\":\"no recipient\"}]}")]
    [InlineData("{\"messages\":[{\"to\":\"bob@example.com\",\"body\":\"x\",\"bodyy\":\"typo\"}]}")]
    [InlineData("{\"messages\":[{\"to\":\"bob@example.com\",\"body\":\"x\"}],\"wait\":\"server\"}")]
    public async Task SendBatch_NotJsonOrWrongTypes_400NothingSent(string body)
    {
        var (app, session) = Start();
        await using var __ = app;
        using var client = app.CreateAlphaClient();

        await (await client.PostRawAsync(Batch, body)).ProblemAsync(400, "bad-request");

        Assert.Empty(session.Enqueued);
        app.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task SendBatch_NullMessage_400NamingItNothingSent()
    {
        var (app, session) = Start();
        await using var __ = app;
        using var client = app.CreateAlphaClient();

        var problem = await (await client.PostRawAsync(Batch, "{\"messages\":[{\"to\":\"bob@example.com\",\"body\":\"x\"},null]}")).ProblemAsync(400, "validation-failed");

        Assert.True(problem.GetProperty("errors").TryGetProperty("messages[1]", out _), problem.ToString());
        Assert.Empty(session.Enqueued);
    }

    [Theory]
    [InlineData("?wait=sometimes", null, "wait")]
    [InlineData("", "has space", "Idempotency-Key")]
    [InlineData("", "tab\tkey", "Idempotency-Key")]
    public async Task SendBatch_InvalidWaitOrKey_400NothingSent(string query, string? key, string field)
    {
        var (app, session) = Start();
        await using var __ = app;
        using var client = app.CreateAlphaClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, Batch + query) { Content = JsonContent(Numbered(2)) };
        if (key is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        }

        var problem = await (await client.SendAsync(request, Token)).ProblemAsync(400, "validation-failed");

        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.Empty(session.Enqueued);
    }

    [Fact]
    public async Task SendBatch_IdempotencyKeyLength_124AcceptedAnd125Refused()
    {
        var (app, session) = Start();
        await using var __ = app;
        using var client = app.CreateAlphaClient();

        // Message 999 is sent under "<key>:999", which must itself be a valid key (at most 128 characters).
        Assert.Equal(HttpStatusCode.Accepted, (await client.SendAsync(WithKey(new string('k', 124)), Token)).StatusCode);
        var problem = await (await client.SendAsync(WithKey(new string('k', 125)), Token)).ProblemAsync(400, "validation-failed");

        Assert.Contains("124", problem.GetProperty("errors").GetProperty("Idempotency-Key")[0].GetString(), StringComparison.Ordinal);
        Assert.Single(session.Enqueued);

        static HttpRequestMessage WithKey(string key)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, Batch) { Content = JsonContent(Numbered(1)) };
            request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
            return request;
        }
    }

    [Fact]
    public async Task SendBatch_QueueFullMidBatch_EarlierAcceptedLaterOnes429WithRetryAfterAndNotTried()
    {
        var (app, session) = Start();
        await using var __ = app;

        // The fourth message finds the queue full; a moment later there would be room again, so a batch that went on
        // would send messages 4 and 5 ahead of 3, which the caller is about to retry.
        var calls = 0;
        session.EnqueueFailure = (_, _) => ++calls == 4 ? new OutboundQueueFullException("s1", 3, TimeSpan.FromSeconds(3)) : null;
        using var client = app.CreateAlphaClient();

        var batch = await ReadBatchAsync(await client.PostJsonAsync(Batch, Numbered(6)), accepted: 3, refused: 3);

        Assert.Equal(["id-0", "id-1", "id-2"], Enumerable.Range(0, 3).Select(i => Item(batch, i).GetProperty("id").GetString()));
        var full = Refused(batch, 3, 429, "outbound-queue-full");
        Assert.Equal(3, full.GetProperty("retryAfter").GetInt64());
        Assert.Contains("is full", full.GetProperty("detail").GetString(), StringComparison.Ordinal);
        foreach (var later in new[] { 4, 5 })
        {
            var notTried = Refused(batch, later, 429, "outbound-queue-full");
            Assert.Equal(3, notTried.GetProperty("retryAfter").GetInt64());
            Assert.StartsWith("Not sent: message 3 of this batch was refused first", notTried.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(["m0", "m1", "m2"], SentBodies(session));
        Assert.Equal(4, calls);
        app.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task SendBatch_InvalidMessageBeforeRefusal_StaysValidationProblem()
    {
        var (app, session) = Start();
        await using var __ = app;
        var calls = 0;
        session.EnqueueFailure = (_, _) => ++calls == 2 ? new OutboundQueueFullException("s1", 1, TimeSpan.FromSeconds(1)) : null;
        using var client = app.CreateAlphaClient();

        var batch = await ReadBatchAsync(await client.PostJsonAsync(Batch, Of(Message(0), Message(1) with { To = "" }, Message(2), Message(3) with { To = "" }, Message(4))), accepted: 1, refused: 4);

        Refused(batch, 1, 400, "validation-failed");
        Refused(batch, 2, 429, "outbound-queue-full");
        Refused(batch, 3, 400, "validation-failed");
        Refused(batch, 4, 429, "outbound-queue-full");
        Assert.Equal(["m0"], SentBodies(session));
    }

    [Fact]
    public async Task SendBatch_QueueFull_ItemProblemHasTheSingleSendProblemsShape()
    {
        var (app, session) = Start();
        await using var __ = app;
        session.EnqueueFailure = (_, _) => new OutboundQueueFullException("s1", 1000, TimeSpan.FromMilliseconds(1500));
        using var client = app.CreateAlphaClient();

        var single = await (await client.PostJsonAsync("/api/v1/sessions/s1/messages", Message(0))).ProblemAsync(429, "outbound-queue-full");
        var item = Refused(await ReadBatchAsync(await client.PostJsonAsync(Batch, Numbered(1)), accepted: 0, refused: 1), 0, 429, "outbound-queue-full");

        Assert.Equal(Names(single), Names(item));
        foreach (var name in new[] { "title", "status", "code", "detail", "retryAfter" })
        {
            Assert.Equal(single.GetProperty(name).ToString(), item.GetProperty(name).ToString());
        }

        Assert.Equal(2, item.GetProperty("retryAfter").GetInt64());

        static string[] Names(JsonElement problem) => [.. problem.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal)];
    }

    [Theory]
    [InlineData(SessionState.Failed, 409)]
    [InlineData(SessionState.Reconnecting, 503)]
    public async Task SendBatch_SessionUnavailable_EveryItemCarriesTheProblemNothingSent(SessionState state, int status)
    {
        var (app, session) = Start();
        await using var __ = app;
        session.Failure = new SessionUnavailableException("s1", state, $"Session 's1' is {state}.");
        using var client = app.CreateAlphaClient();

        var batch = await ReadBatchAsync(await client.PostJsonAsync(Batch, Numbered(3)), accepted: 0, refused: 3);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(state.ToString().ToLowerInvariant(), Refused(batch, i, status, "session-unavailable").GetProperty("sessionState").GetString());
        }

        Assert.Empty(session.Enqueued);
    }

    [Fact]
    public async Task SendBatch_WaitServerAckTimesOut_ThatItem504AndTheOthersStillWaitForTheirOwn()
    {
        var (app, session) = Start();
        await using var __ = app;
        session.EnqueueFailure = (stanza, wait) => stanza.Id == "id-1" && wait == DeliveryWait.Server
            ? new XmppTimeoutException("Waiting for the server to acknowledge stanza 'id-1'", TimeSpan.FromSeconds(15))
            : null;
        using var client = app.CreateAlphaClient();

        var batch = await ReadBatchAsync(await client.PostJsonAsync(Batch + "?wait=server", Numbered(4)), accepted: 3, refused: 1);

        // Every message waits for its own acknowledgement, all at once: one that times out holds up no other.
        Assert.True(Item(batch, 0).GetProperty("ackedByServer").GetBoolean());
        Refused(batch, 1, 504, "xmpp-timeout");
        Assert.True(Item(batch, 2).GetProperty("ackedByServer").GetBoolean());
        Assert.True(Item(batch, 3).GetProperty("ackedByServer").GetBoolean());
        Assert.Equal([DeliveryWait.Server, DeliveryWait.Server, DeliveryWait.Server], session.Enqueued.Select(e => e.Wait));
        Assert.Equal(["m0", "m2", "m3"], SentBodies(session));
    }

    [Fact]
    public async Task SendBatch_BugInTheSession_ItemIs500ProblemNotTheResponse()
    {
        var (app, session) = Start();
        await using var __ = app;
        session.EnqueueFailure = (stanza, _) => stanza.Id == "id-1" ? new InvalidOperationException("bug") : null;
        using var client = app.CreateAlphaClient();

        var batch = await ReadBatchAsync(await client.PostJsonAsync(Batch, Numbered(3)), accepted: 1, refused: 2);

        Assert.DoesNotContain("bug", Refused(batch, 1, 500, "internal-error").GetProperty("detail").GetString(), StringComparison.Ordinal);
        Refused(batch, 2, 500, "internal-error");
        var error = Assert.Single(app.Logs.Entries, e => e.Level >= LogLevel.Error);
        Assert.Equal(5002, error.EventId.Id);
    }

    [Fact]
    public async Task SendBatch_UnknownOrOtherTenantsSession_404()
    {
        var (app, session) = Start();
        await using var __ = app;
        using var alpha = app.CreateAlphaClient();
        using var beta = app.CreateBetaClient();

        await (await beta.PostJsonAsync(Batch, Numbered(2))).ProblemAsync(404, "session-not-found");
        await (await alpha.PostJsonAsync("/api/v1/sessions/nope/messages/batch", Numbered(2))).ProblemAsync(404, "session-not-found");

        Assert.Empty(session.Enqueued);
    }

    [Fact]
    public async Task SendBatch_BodyOverOneMebibyte_AcceptedUpToItsOwnLimit()
    {
        var (app, session) = Start();
        await using var __ = app;
        using var client = app.CreateAlphaClient();

        // 3 MiB: refused by a single send (1 MiB), within the batch's 8 MiB.
        var big = Of(Enumerable.Range(0, 48).Select(i => Message(i) with { Body = new string('x', 64 * 1024) }));

        await ReadBatchAsync(await client.PostJsonAsync(Batch, big), accepted: 48, refused: 0);
        Assert.Equal(48, session.Enqueued.Count);
    }

    [Fact]
    public async Task SendBatch_BodyOverEightMebibytes_413()
    {
        var (app, session) = Start();
        await using var __ = app;
        using var client = app.CreateAlphaClient();
        var json = JsonSerializer.Serialize(Of(Enumerable.Range(0, 130).Select(i => Message(i) with { Body = new string('x', 64 * 1024) })), GatewayApiFactory.Json);
        Assert.True(Encoding.UTF8.GetByteCount(json) > PostMessageBatchRequest.MaxBodyBytes);

        var declared = await (await client.PostRawAsync(Batch, json)).ProblemAsync(413, "payload-too-large");
        Assert.Contains("8192 KiB", declared.GetProperty("detail").GetString(), StringComparison.Ordinal);

        using var chunked = new StreamContent(new NonSeekableStream(Encoding.UTF8.GetBytes(json)));
        chunked.Headers.ContentType = new("application/json");
        await (await client.PostAsync(Batch, chunked, Token)).ProblemAsync(413, "payload-too-large");

        Assert.Empty(session.Enqueued);
    }

    private static StringContent JsonContent(PostMessageBatchRequest body) =>
        new(JsonSerializer.Serialize(body, GatewayApiFactory.Json), Encoding.UTF8, "application/json");

    /// <summary>A body without Content-Length: sent chunked.</summary>
    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
