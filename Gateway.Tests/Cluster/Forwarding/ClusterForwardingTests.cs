using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Api.Cluster;
using Gateway.Api.Cluster.Forwarding;
using Gateway.Api.Contracts;
using Gateway.Tests.Api;
using Gateway.Tests.Api.EndToEnd;
using Gateway.Tests.Integration.Client;
using Gateway.Tests.Integration.Prosody;
using Gateway.Tests.Integration.Redis;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Gateway.Tests.Cluster.Forwarding;

/// <summary>
/// Two gateway nodes on real loopback sockets, clustered through the private Redis, sharing one SQLite store, against
/// the private Prosody: a session created through node A is used through node B as if B ran it, and B carries on
/// when A stops.
/// </summary>
[Trait("Tier", "Integration")]
public sealed class ClusterForwardingTests(ProsodyFixture prosody, RedisFixture redisFixture)
{
    private const string SessionId = "forwarded";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SessionOnNodeA_UsedThroughNodeB_AsIfBRanIt_ThenBTakesOverWhenAStops(bool abrupt)
    {
        var redis = await redisFixture.GetServerAsync();
        var account = await prosody.CreateAccountAsync("fwd", ClusterTestKit.Token);
        await using var bob = await TestClients.ConnectOnlineAsync(prosody.Server, await prosody.CreateAccountAsync("fwdpeer", ClusterTestKit.Token));
        var clusterId = ClusterTestKit.NewClusterId();
        var storage = GatewayApiFactory.NewStorageDirectory();
        var (portA, portB) = (GatewayApiFactory.FreeLoopbackPort(), GatewayApiFactory.FreeLoopbackPort());
        var nodeA = ClusterTestKit.CreateHost(prosody.Server, ClusterMode.Redis, clusterId, storage, redis.ConnectionString, $"http://127.0.0.1:{portA}/").UseRealSocket(portA);
        var nodeB = ClusterTestKit.CreateHost(prosody.Server, ClusterMode.Redis, clusterId, storage, redis.ConnectionString, $"http://127.0.0.1:{portB}/").UseRealSocket(portB);
        try
        {
            using var clientA = nodeA.CreateAlphaClient();
            await clientA.CreateSessionAsync(prosody.Server, account, SessionId);
            using var clientB = nodeB.CreateAlphaClient();
            Assert.Equal(portB, clientB.BaseAddress!.Port);
            var siloA = ClusterTestKit.SiloOf(nodeA);
            await ClusterTestKit.EventuallyAsync(
                async () => await ClusterTestKit.Grain(nodeB, SessionId).GetOwnerAsync() is { Hosted: true } owner && owner.Silo == siloA,
                Patience,
                "node B to see the session owned by node A");
            Assert.Null(ClusterTestKit.LocalPool(nodeB).Find(GatewayApiFactory.AlphaTenant, SessionId));

            // Its state, through B: A's live session.
            var session = await (await clientB.GetAsync(Url(""), ClusterTestKit.Token)).ReadAsync<SessionDto>(200);
            Assert.Equal(SessionId, session.Id);
            Assert.Equal("online", session.State);

            // A message through B, with an Idempotency-Key; the retry through B is recognised (same id), and the peer
            // gets it once: messages from one sender arrive in order, so any copy would come before the sentinel.
            var message = new PostMessageRequest { To = bob.Jid.ToString(), Body = "via node B" };
            var first = await (await clientB.SendAsync(PostMessage(message, "fwd-order-1"), ClusterTestKit.Token)).ReadAsync<StanzaAcceptedDto>(202);
            var retry = await (await clientB.SendAsync(PostMessage(message, "fwd-order-1"), ClusterTestKit.Token)).ReadAsync<StanzaAcceptedDto>(202);
            Assert.Equal(first.Id, retry.Id);
            var sentinel = await (await clientB.SendAsync(PostMessage(message with { Body = "sentinel" }, null), ClusterTestKit.Token)).ReadAsync<StanzaAcceptedDto>(202);
            var copies = 0;
            while (true)
            {
                var received = await bob.ReceiveAsync<Message>(m => m.Id == first.Id || m.Id == sentinel.Id, Patience);
                if (received.Id == sentinel.Id)
                {
                    break;
                }

                Assert.Equal("via node B", received.Body);
                copies++;
            }

            Assert.Equal(1, copies);

            // Its delivery status and roster, through B.
            var status = await clientB.WaitForMessageStatusAsync(SessionId, first.Id, s => s is not ("queued" or "sent"));
            Assert.Contains(status, new[] { "acked", "delivered", "displayed" });
            var roster = await clientB.GetAsync(Url("/roster"), ClusterTestKit.Token);
            Assert.Equal(HttpStatusCode.OK, roster.StatusCode);
            Assert.StartsWith("application/json", roster.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);

            // B forwarded all of it (A answered), and A's answers came back unchanged: a 404 of A's is B's 404.
            Assert.Contains(nodeB.Logs.Entries, e => e.EventId.Id == 7201);
            await (await clientB.GetAsync(Url("/messages/never-sent"), ClusterTestKit.Token)).ProblemAsync(404, "message-not-found");

            // Another tenant: 404 through B, exactly as an unknown session, and nothing forwarded for it.
            using (var beta = nodeB.CreateBetaClient())
            {
                var forwardedBefore = nodeB.Logs.Entries.Count(e => e.EventId.Id == 7201);
                await (await beta.GetAsync(Url(""), ClusterTestKit.Token)).ProblemAsync(404, "session-not-found");
                await (await beta.GetAsync(Url("/roster"), ClusterTestKit.Token)).ProblemAsync(404, "session-not-found");
                await (await beta.SendAsync(PostMessage(message, null), ClusterTestKit.Token)).ProblemAsync(404, "session-not-found");
                Assert.Equal(forwardedBefore, nodeB.Logs.Entries.Count(e => e.EventId.Id == 7201));
            }

            // A forged marker gains nothing: refused by B, and sent straight to A it is refused there too.
            foreach (var node in new[] { nodeB, nodeA })
            {
                using var client = node.CreateAlphaClient();
                using var forged = new HttpRequestMessage(HttpMethod.Get, Url(""));
                forged.Headers.Add(ForwardingMarker.HeaderName, "1");
                await (await client.SendAsync(forged, ClusterTestKit.Token)).ProblemAsync(400, "bad-request");
            }

            // The list spans the cluster: A runs the session, B lists it as remote.
            var local = (await ListAsync(clientA)).Single(s => s.Id == SessionId);
            var remote = (await ListAsync(clientB)).Single(s => s.Id == SessionId);
            Assert.Equal(("online", ClusterSessionList.RemoteState), (local.State, remote.State));

            // B reads the remote session's settings from its stored spec: the same as A, which runs it, shows.
            Assert.Equal(JsonSerializer.Serialize(local.Settings), JsonSerializer.Serialize(remote.Settings));
            using (var beta = nodeB.CreateBetaClient())
            {
                Assert.DoesNotContain(await ListAsync(beta), s => s.Id == SessionId);
            }

            // A change of its settings through B is made by A, which runs the session, and stored for whoever runs it next.
            var patched = await (await clientB.PatchAsync(Url(""), JsonContent.Create(new UpdateSessionRequest { RequestReceipts = false }, options: GatewayApiFactory.Json), ClusterTestKit.Token)).ReadAsync<SessionDto>(200);
            Assert.Equal(("online", false), (patched.State, patched.Settings.RequestReceipts));
            Assert.False(ClusterTestKit.LocalPool(nodeA).Find(GatewayApiFactory.AlphaTenant, SessionId)!.Info.Settings.RequestReceipts);
            Assert.False((await ListAsync(clientB)).Single(s => s.Id == SessionId).Settings.RequestReceipts);

            // A stops (gracefully, or dies without leaving the cluster): B answers 503 (the session is moving, or its
            // node cannot be reached) until it runs the session itself, never anything else.
            if (abrupt)
            {
                await StopAbruptlyAsync(nodeA);
            }
            else
            {
                await nodeA.DisposeAsync();
            }

            var seen = new List<int>();
            await ClusterTestKit.EventuallyAsync(
                async () =>
                {
                    var response = await clientB.GetAsync(Url(""), ClusterTestKit.Token);
                    seen.Add((int)response.StatusCode);
                    Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"answered {(int)response.StatusCode}");
                    if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                    {
                        Assert.NotNull(response.Headers.RetryAfter);
                        await response.ProblemAsync(503, "session-unavailable");
                        return false;
                    }

                    return (await response.ReadAsync<SessionDto>(200)).State == "online";
                },
                Patience,
                () => $"node B to serve the session itself; answers so far: {string.Join(",", seen)}");
            Assert.False(ClusterTestKit.LocalPool(nodeB).Find(GatewayApiFactory.AlphaTenant, SessionId)?.Info.Settings.RequestReceipts);
            Assert.All(seen, s => Assert.Contains(s, new[] { 200, 503 }));

            var after = await (await clientB.SendAsync(PostMessage(message with { Body = "after A stopped" }, null), ClusterTestKit.Token)).ReadAsync<StanzaAcceptedDto>(202);
            Assert.Equal("after A stopped", (await bob.ReceiveAsync<Message>(m => m.Id == after.Id, Patience)).Body);
            Assert.DoesNotContain(nodeB.Logs.Entries, e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Error && e.Category.Contains("Forwarding", StringComparison.Ordinal));
        }
        finally
        {
            await nodeB.DisposeAsync();
            await nodeA.DisposeAsync();
            Directory.Delete(storage, recursive: true);
        }
    }

    /// <summary>The host stops with a cancelled token: the silo stops without the graceful leave (as in RedisClusterTests).</summary>
    private static async Task StopAbruptlyAsync(GatewayApiFactory node)
    {
        try
        {
            await node.Services.GetRequiredService<IHost>().StopAsync(new CancellationToken(canceled: true));
        }
        catch (OperationCanceledException)
        {
        }
        catch (AggregateException ex) when (ex.InnerExceptions.All(e => e is OperationCanceledException))
        {
        }
    }

    private static string Url(string below) => $"/api/v1/sessions/{SessionId}{below}";

    private static HttpRequestMessage PostMessage(PostMessageRequest body, string? idempotencyKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, Url("/messages")) { Content = JsonContent.Create(body, options: GatewayApiFactory.Json) };
        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }

        return request;
    }

    private static async Task<SessionDto[]> ListAsync(HttpClient client) =>
        await (await client.GetAsync(new Uri("/api/v1/sessions", UriKind.Relative), ClusterTestKit.Token)).ReadAsync<SessionDto[]>(200);
}
