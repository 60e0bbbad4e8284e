using System.Net.Http.Json;
using Gateway.Api.Contracts;
using Gateway.Api.Persistence;
using Gateway.Tests.Api.Hubs;
using Gateway.Tests.Integration.Client;
using Gateway.Tests.Integration.Prosody;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gateway.Tests.Api.EndToEnd;

/// <summary>
/// <c>POST /sessions/{id}/messages/batch</c> against the real pool and Prosody: order of arrival at a plain XMPP
/// receiver, delivery status, <c>?wait=server</c>, idempotent retries, tenant isolation.
/// </summary>
[Trait("Tier", "Api")]
public sealed class MessageBatchEndToEndTests(ProsodyFixture prosody) : HubEndToEndTest(prosody)
{
    private static HttpRequestMessage Post(string sessionId, IEnumerable<PostMessageRequest> messages, string? idempotencyKey = null, string? wait = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/sessions/{sessionId}/messages/batch" + (wait is null ? "" : $"?wait={wait}"))
        {
            Content = JsonContent.Create(new PostMessageBatchRequest { Messages = [.. messages] }, options: GatewayApiFactory.Json),
        };
        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }

        return request;
    }

    private static IEnumerable<PostMessageRequest> Numbered(string prefix, int count, XmppClient to) =>
        Enumerable.Range(0, count).Select(i => new PostMessageRequest { To = to.Jid.ToString(), Body = $"{prefix}-{i}" });

    /// <summary>The next <paramref name="count"/> messages whose body starts with <paramref name="prefix"/>, in arrival order.</summary>
    private static async Task<List<Message>> ReceiveAsync(XmppClient client, string prefix, int count)
    {
        var received = new List<Message>();
        while (received.Count < count)
        {
            received.Add(await client.ReceiveAsync<Message>(m => m.Body?.StartsWith(prefix + "-", StringComparison.Ordinal) == true));
        }

        return received;
    }

    [Fact]
    public async Task SendBatch_FiftyMessages_ArriveInOrderAndEachBecomesAcked()
    {
        var (session, _) = await CreateSessionWithAccountAsync("batch");
        await using var bob = await TestClients.ConnectOnlineAsync(Prosody.Server, await Prosody.CreateAccountAsync("bob", Token));
        using var client = App.CreateAlphaClient();

        var batch = await (await client.SendAsync(Post(session.Id, Numbered("fifty", 50, bob)), Token)).ReadAsync<MessageBatchResultDto>(202);

        Assert.Equal((50, 0), (batch.Accepted, batch.Refused));
        Assert.Equal(Enumerable.Range(0, 50), batch.Results.Select(r => r.Index));
        Assert.All(batch.Results, r => Assert.Null(r.Problem));
        Assert.Equal(50, batch.Results.Select(r => r.Id).Distinct().Count());
        var received = await ReceiveAsync(bob, "fifty", 50);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"fifty-{i}"), received.Select(m => m.Body));
        Assert.Equal(batch.Results.Select(r => r.Id), received.Select(m => m.Id));
        foreach (var result in batch.Results)
        {
            var status = await client.WaitForMessageStatusAsync(session.Id, result.Id!, s => s is not ("queued" or "sent"));
            Assert.Contains(status, new[] { "acked", "delivered", "displayed" });
        }
    }

    [Fact]
    [Trait("Spec", "XEP-0198 §4")]
    public async Task SendBatch_WaitServer_EveryMessageAckedByServerAndInOrder()
    {
        var (session, _) = await CreateSessionWithAccountAsync("batch");
        await using var bob = await TestClients.ConnectOnlineAsync(Prosody.Server, await Prosody.CreateAccountAsync("bob", Token));
        using var client = App.CreateAlphaClient();

        var batch = await (await client.SendAsync(Post(session.Id, Numbered("acked", 10, bob), wait: "server"), Token)).ReadAsync<MessageBatchResultDto>(202);

        Assert.Equal((10, 0), (batch.Accepted, batch.Refused));
        Assert.All(batch.Results, r => Assert.True(r.AckedByServer, $"message {r.Index} not acknowledged"));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"acked-{i}"), (await ReceiveAsync(bob, "acked", 10)).Select(m => m.Body));
    }

    [Fact]
    public async Task SendBatch_SameIdempotencyKeyTwice_SameIdsAndNothingSentTwice()
    {
        var (session, _) = await CreateSessionWithAccountAsync("batch");
        await using var bob = await TestClients.ConnectOnlineAsync(Prosody.Server, await Prosody.CreateAccountAsync("bob", Token));
        using var client = App.CreateAlphaClient();
        var messages = Numbered("idem", 5, bob).ToList();

        var first = await (await client.SendAsync(Post(session.Id, messages, "order-42"), Token)).ReadAsync<MessageBatchResultDto>(202);
        var again = await (await client.SendAsync(Post(session.Id, messages, "order-42"), Token)).ReadAsync<MessageBatchResultDto>(202);

        // Message i is sent under "<key>:<i>": a single send with that key is the same message, not a new one.
        var single = await (await client.SendAsync(SingleSend(session.Id, messages[2], "order-42:2"), Token)).ReadAsync<StanzaAcceptedDto>(202);
        await (await client.SendAsync(SingleSend(session.Id, new PostMessageRequest { To = bob.Jid.ToString(), Body = "idem-marker" }, null), Token)).ReadAsync<StanzaAcceptedDto>(202);

        Assert.Equal(first.Results.Select(r => r.Id), again.Results.Select(r => r.Id));
        Assert.Equal(5, first.Results.Select(r => r.Id).Distinct().Count());
        Assert.Equal(first.Results[2].Id, single.Id);

        // Everything the batches could have sent is queued before the marker: what arrives up to it was sent once.
        var received = new List<string?>();
        while (received.LastOrDefault() != "idem-marker")
        {
            received.Add((await bob.ReceiveAsync<Message>(m => m.Body?.StartsWith("idem-", StringComparison.Ordinal) == true)).Body);
        }

        Assert.Equal(["idem-0", "idem-1", "idem-2", "idem-3", "idem-4", "idem-marker"], received);
    }

    [Fact]
    public async Task SendBatch_OtherTenantsSession_404AndNothingSent()
    {
        var (session, _) = await CreateSessionWithAccountAsync("batch");
        await using var bob = await TestClients.ConnectOnlineAsync(Prosody.Server, await Prosody.CreateAccountAsync("bob", Token));
        using var alpha = App.CreateAlphaClient();
        using var beta = App.CreateBetaClient();

        await (await beta.SendAsync(Post(session.Id, Numbered("foreign", 3, bob)), Token)).ProblemAsync(404, "session-not-found");
        await (await alpha.SendAsync(SingleSend(session.Id, new PostMessageRequest { To = bob.Jid.ToString(), Body = "foreign-marker" }, null), Token)).ReadAsync<StanzaAcceptedDto>(202);

        Assert.Equal("foreign-marker", (await bob.ReceiveAsync<Message>(m => m.Body?.StartsWith("foreign-", StringComparison.Ordinal) == true)).Body);
    }

    private static HttpRequestMessage SingleSend(string sessionId, PostMessageRequest body, string? idempotencyKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/sessions/{sessionId}/messages") { Content = JsonContent.Create(body, options: GatewayApiFactory.Json) };
        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }

        return request;
    }
}
