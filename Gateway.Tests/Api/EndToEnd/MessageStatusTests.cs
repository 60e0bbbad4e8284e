using System.Net.Http.Json;
using Gateway.Api.Contracts;
using Gateway.Api.Hubs;
using Gateway.Tests.Api.Hubs;
using Gateway.Tests.Integration.Client;
using Gateway.Tests.Integration.Prosody;
using Gateway.Xmpp;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace Gateway.Tests.Api.EndToEnd;

/// <summary>
/// Delivery status (<c>GET /sessions/{id}/messages/{messageId}</c>, hub <c>OnMessageStatus</c>) and idempotent sends
/// (<c>Idempotency-Key</c>), against the real pool and Prosody.
/// </summary>
[Trait("Tier", "Api")]
public sealed class MessageStatusTests(ProsodyFixture prosody) : HubEndToEndTest(prosody)
{
    private async Task<SessionDto> CreateSessionAsync() => (await CreateSessionWithAccountAsync("status")).Session;

    private static HttpRequestMessage Post(string sessionId, PostMessageRequest body, string? idempotencyKey, string? wait = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/sessions/{sessionId}/messages" + (wait is null ? "" : $"?wait={wait}"))
        {
            Content = JsonContent.Create(body, options: GatewayApiFactory.Json),
        };
        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }

        return request;
    }

    [Fact]
    public async Task GetStatus_AfterServerAckedSend_ReturnsAckedOrLater()
    {
        var session = await CreateSessionAsync();
        await using var bob = await TestClients.ConnectOnlineAsync(Prosody.Server, await Prosody.CreateAccountAsync("bob", Token));
        using var client = App.CreateAlphaClient();

        var sent = await (await client.SendAsync(Post(session.Id, new PostMessageRequest { To = bob.Jid.ToString(), Body = "track me" }, null, "server"), Token)).ReadAsync<StanzaAcceptedDto>(202);
        var status = await (await client.GetAsync($"/api/v1/sessions/{session.Id}/messages/{sent.Id}", Token)).ReadAsync<MessageStatusDto>(200);

        Assert.Equal(sent.Id, status.MessageId);
        Assert.Equal(bob.Jid.ToString(), status.To);
        Assert.Contains(status.Status, new[] { "acked", "delivered", "displayed" });
        Assert.True(status.UpdatedAt >= status.QueuedAt);
        Assert.Null(status.ErrorCondition);
    }

    [Fact]
    public async Task GetStatus_LoneMessageWithoutWait_ReachesAckedWithoutFurtherTraffic()
    {
        var session = await CreateSessionAsync();
        await using var bob = await TestClients.ConnectOnlineAsync(Prosody.Server, await Prosody.CreateAccountAsync("bob", Token));
        using var client = App.CreateAlphaClient();

        // One message and then silence: acknowledgements are requested in batches, so the session must ask for
        // one when its queue runs dry, or the message would stay "sent" (and in the outbox) until more traffic.
        var sent = await (await client.SendAsync(Post(session.Id, new PostMessageRequest { To = bob.Jid.ToString(), Body = "just one" }, null), Token)).ReadAsync<StanzaAcceptedDto>(202);

        var status = await client.WaitForMessageStatusAsync(session.Id, sent.Id, s => s is not ("queued" or "sent"));

        Assert.Contains(status, new[] { "acked", "delivered", "displayed" });
    }

    [Fact]
    public async Task GetStatus_UnknownMessageOrSession_404WithCode()
    {
        var session = await CreateSessionAsync();
        using var client = App.CreateAlphaClient();
        using var beta = App.CreateBetaClient();

        await (await client.GetAsync($"/api/v1/sessions/{session.Id}/messages/never-sent", Token)).ProblemAsync(404, "message-not-found");
        await (await client.GetAsync("/api/v1/sessions/no-such-session/messages/x", Token)).ProblemAsync(404, "session-not-found");
        await (await beta.GetAsync($"/api/v1/sessions/{session.Id}/messages/never-sent", Token)).ProblemAsync(404, "session-not-found");
    }

    [Fact]
    public async Task Send_SameIdempotencyKeyTwice_SameIdAndDeliveredOnce()
    {
        var session = await CreateSessionAsync();
        await using var bob = await TestClients.ConnectOnlineAsync(Prosody.Server, await Prosody.CreateAccountAsync("bob", Token));
        using var client = App.CreateAlphaClient();
        var body = new PostMessageRequest { To = bob.Jid.ToString(), Body = "once" };

        var first = await (await client.SendAsync(Post(session.Id, body, "order-42:shipped"), Token)).ReadAsync<StanzaAcceptedDto>(202);
        var second = await (await client.SendAsync(Post(session.Id, body, "order-42:shipped", "server"), Token)).ReadAsync<StanzaAcceptedDto>(202);
        var other = await (await client.SendAsync(Post(session.Id, body with { Body = "marker" }, null), Token)).ReadAsync<StanzaAcceptedDto>(202);

        Assert.Equal(first.Id, second.Id);
        await bob.ReceiveAsync<Message>(m => m.Id == first.Id);
        await bob.ReceiveAsync<Message>(m => m.Id == other.Id);
        Assert.NotEqual(first.Id, other.Id);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("tab\tkey")]
    public async Task Send_InvalidIdempotencyKey_400(string key)
    {
        var session = await CreateSessionAsync();
        using var client = App.CreateAlphaClient();

        var problem = await (await client.SendAsync(Post(session.Id, new PostMessageRequest { To = "bob@localhost", Body = "x" }, key), Token)).ProblemAsync(400, "validation-failed");

        Assert.True(problem.GetProperty("errors").TryGetProperty("Idempotency-Key", out _), problem.ToString());
    }

    [Fact]
    public async Task Send_IdempotencyKeyTooLong_400()
    {
        var session = await CreateSessionAsync();
        using var client = App.CreateAlphaClient();

        await (await client.SendAsync(Post(session.Id, new PostMessageRequest { To = "bob@localhost", Body = "x" }, new string('k', 129)), Token)).ProblemAsync(400, "validation-failed");
        await (await client.SendAsync(Post(session.Id, new PostMessageRequest { To = "bob@localhost", Body = "x" }, new string('k', 128)), Token)).ReadAsync<StanzaAcceptedDto>(202);
    }

    [Fact]
    public async Task Hub_SendWithIdempotencyKeyAndSubscribe_SameIdAndMessageStatusEvents()
    {
        var session = await CreateSessionAsync();
        await using var bob = await TestClients.ConnectOnlineAsync(Prosody.Server, await Prosody.CreateAccountAsync("bob", Token));
        var (connection, events) = await ConnectAsync();
        await connection.InvokeAsync<SubscriptionDto>("Subscribe", session.Id, Token);
        var request = new SendMessageRequest { To = bob.Jid.ToString(), Body = "via hub", IdempotencyKey = "hub-key-1", Wait = "server" };

        var first = await connection.InvokeAsync<StanzaAcceptedDto>("SendMessage", session.Id, request, Token);
        var again = await connection.InvokeAsync<StanzaAcceptedDto>("SendMessage", session.Id, request, Token);
        var refused = await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync<StanzaAcceptedDto>("SendMessage", session.Id, request with { IdempotencyKey = "bad key" }, Token));

        Assert.Equal(first.Id, again.Id);
        Assert.Contains("idempotencyKey", refused.Message, StringComparison.Ordinal);
        // The first status event a subscriber sees is "acked": "queued" is the send's own answer and "sent" lasts
        // microseconds; both stay visible through GET but are not journaled.
        var firstStatus = await events.NextAsync<MessageStatusDto>(e => e.Data.MessageId == first.Id);
        Assert.Equal(EventKinds.MessageStatus, firstStatus.Kind);
        Assert.Equal("acked", firstStatus.Data.Status);
        Assert.Equal(bob.Jid.ToString(), firstStatus.Data.To);
    }
}
