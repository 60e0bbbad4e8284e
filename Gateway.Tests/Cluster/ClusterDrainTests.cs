using System.Diagnostics;
using System.Net.Http.Json;
using Gateway.Api.Cluster;
using Gateway.Api.Contracts;
using Gateway.Tests.Api;
using Gateway.Tests.Api.EndToEnd;
using Gateway.Tests.Integration.Client;
using Gateway.Tests.Integration.Prosody;
using Gateway.Tests.Integration.Redis;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;

namespace Gateway.Tests.Cluster;

/// <summary>
/// A graceful stop of the node that runs a session moves the session to the other node with its XMPP stream: the other
/// node resumes the stream (XEP-0198 §5) at once, long before its next placement round, and nothing is lost or repeated
/// at either end. Two nodes through the private Redis, one SQLite store, the private Prosody.
/// </summary>
[Trait("Tier", "Integration")]
public sealed class ClusterDrainTests(ProsodyFixture prosody, RedisFixture redisFixture)
{
    private const string SessionId = "drained";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GracefulStop_SessionResumesItsStreamOnTheOtherNode_EveryMessageOnceBothWays()
    {
        var redis = await redisFixture.GetServerAsync();
        var account = await prosody.CreateAccountAsync("drained", Token);
        await using var bob = await TestClients.ConnectOnlineAsync(prosody.Server, await prosody.CreateAccountAsync("bob", Token));
        var to = Jid.Parse(account.Bare);
        var clusterId = ClusterTestKit.NewClusterId();
        var storage = GatewayApiFactory.NewStorageDirectory();
        var nodeA = ClusterTestKit.CreateHost(prosody.Server, ClusterMode.Redis, clusterId, storage, redis.ConnectionString);
        var nodeB = ClusterTestKit.CreateHost(prosody.Server, ClusterMode.Redis, clusterId, storage, redis.ConnectionString);

        // Placement rounds only at start: whatever hosts the session on B after A stops is the drain.
        nodeA.Settings["Gateway:Cluster:PlacementInterval"] = "00:30:00";
        nodeB.Settings["Gateway:Cluster:PlacementInterval"] = "00:30:00";
        try
        {
            using (var clientA = nodeA.CreateAlphaClient())
            {
                await clientA.CreateSessionAsync(prosody.Server, account, SessionId);
            }

            _ = nodeB.Services;
            var siloA = ClusterTestKit.SiloOf(nodeA);
            var siloB = ClusterTestKit.SiloOf(nodeB);
            await ClusterTestKit.EventuallyAsync(
                async () => await ClusterTestKit.Grain(nodeB, SessionId).GetOwnerAsync() is { Hosted: true } owner && owner.Silo == siloA,
                Patience,
                "node B to see the session owned by node A");

            // A second resource of the account: the server tells it about every presence change of the session's resource.
            await using var witness = await TestClients.ConnectOnlineAsync(prosody.Server, account, "witness");
            var witnessed = await UntilSentinelAsync(witness, bob, "witness-ready");
            Assert.Contains(witnessed, s => s is Presence { Type: PresenceType.Available, From.Resource: "gateway" });

            // Traffic both ways on node A.
            using (var clientA = nodeA.CreateAlphaClient())
            {
                for (var i = 1; i <= 5; i++)
                {
                    await bob.SendAsync(new Message { To = to, Type = MessageType.Chat, Body = $"in-{i}", Id = $"in-{i}" }, Token);
                    await PostAsync(clientA, bob.Jid.Bare, $"out-{i}", wait: "server");
                }

                await ClusterTestKit.EventuallyAsync(async () => (await ReceivedBodiesAsync(nodeA)).Contains("in-5"), Patience, "in-5 journaled on node A");

                // Accepted just before the stop: queued or unacknowledged when A drains.
                for (var i = 6; i <= 8; i++)
                {
                    await PostAsync(clientA, bob.Jid.Bare, $"out-{i}");
                }
            }

            // Bob keeps writing through the drain.
            var inbound = Task.Run(async () =>
            {
                for (var i = 6; i <= 15; i++)
                {
                    await bob.SendAsync(new Message { To = to, Type = MessageType.Chat, Body = $"in-{i}", Id = $"in-{i}" }, Token);
                    await Task.Delay(50, Token);
                }
            }, Token);

            var stopping = Stopwatch.StartNew();
            await nodeA.DisposeAsync();
            await ClusterTestKit.EventuallyAsync(
                () => Task.FromResult(ClusterTestKit.LocalPool(nodeB).Find(GatewayApiFactory.AlphaTenant, SessionId)?.Info.State == SessionState.Online),
                Patience,
                () => "node B to bring the drained session online\n" + Trace(nodeA, nodeB));
            var moved = stopping.Elapsed;
            await inbound;

            // Promptly: the drain, not a placement round (the next is 30 minutes away).
            Assert.True(moved < TimeSpan.FromSeconds(60), $"the session took {moved} to come online on node B");
            var owner = await ClusterTestKit.Grain(nodeB, SessionId).GetOwnerAsync();
            Assert.Equal(siloB, owner.Silo);
            Assert.True(owner.Hosted);

            // Resumed, not logged in again: node B's first connection of the session resumed the stream, and the
            // server never told the account's other resource that the session's resource went or came.
            Assert.Contains(nodeA.Logs.Entries, e => e.EventId.Id == 7251 && e.Message.Contains("resumable: True", StringComparison.Ordinal));
            Assert.Contains(nodeB.Logs.Entries, e => e.EventId.Id == 7252 && e.Message.Contains("resuming its stream: True", StringComparison.Ordinal));
            Assert.Contains(nodeB.Logs.Entries, e => e.EventId.Id == 2506 && e.Message.Contains("resumed: True", StringComparison.Ordinal));
            Assert.DoesNotContain(nodeB.Logs.Entries, e => e.EventId.Id == 2506 && e.Message.Contains("resumed: False", StringComparison.Ordinal));

            using (var clientB = nodeB.CreateAlphaClient())
            {
                for (var i = 9; i <= 12; i++)
                {
                    await PostAsync(clientB, bob.Jid.Bare, $"out-{i}", wait: "server");
                }

                await PostAsync(clientB, bob.Jid.Bare, "out-end", wait: "server");
            }

            // Outbound: bob got each message once, in order, up to the sentinel (a repeat on one stream comes before it).
            var received = new List<string>();
            while (received.LastOrDefault() != "out-end")
            {
                received.Add((await bob.ReceiveAsync<Message>(m => m.Body is not null && m.Body.StartsWith("out-", StringComparison.Ordinal), Patience)).Body!);
            }

            Assert.Equal([.. Enumerable.Range(1, 12).Select(i => $"out-{i}"), "out-end"], received);

            // Inbound: every message journaled once, whichever node received it.
            await bob.SendAsync(new Message { To = to, Type = MessageType.Chat, Body = "in-end", Id = "in-end" }, Token);
            await ClusterTestKit.EventuallyAsync(async () => (await ReceivedBodiesAsync(nodeB)).Contains("in-end"), Patience, "in-end journaled on node B");
            Assert.Equal([.. Enumerable.Range(1, 15).Select(i => $"in-{i}"), "in-end"], await ReceivedBodiesAsync(nodeB));

            var afterwards = await UntilSentinelAsync(witness, bob, "witness-done");
            Assert.DoesNotContain(afterwards, s => s is Presence { From.Resource: "gateway" });
            Assert.Equal(["gateway", "witness"], (await ClusterTestKit.OtherResourcesAsync(prosody.Server, account)).Order(StringComparer.Ordinal));
            nodeB.Logs.AssertNoErrors();
        }
        finally
        {
            await nodeB.DisposeAsync();
            await nodeA.DisposeAsync();
            Directory.Delete(storage, recursive: true);
        }
    }

    /// <summary>For a failure message: each node's cluster events, warnings and errors.</summary>
    private static string Trace(GatewayApiFactory nodeA, GatewayApiFactory nodeB) =>
        string.Join('\n', new[] { ("A", nodeA), ("B", nodeB) }.Select(n =>
            $"--- node {n.Item1} ---\n" + string.Join('\n', n.Item2.Logs.Entries
                .Where(e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Warning || e.EventId.Id is >= 7100 and < 7300 || e.EventId.Id == 2506 || e.Category.Contains("Migrat", StringComparison.Ordinal))
                .TakeLast(60))));

    /// <summary>
    /// The bodies of bob's messages to the account that the session journaled, in journal order (the store is shared);
    /// not the carbon copies (XEP-0280) of what bob sent the witness.
    /// </summary>
    private static async Task<List<string>> ReceivedBodiesAsync(GatewayApiFactory node) =>
        [.. (await AccountTestKit.EventsAsync(node, SessionId)).OfType<MessageReceived>().Select(e => e.Message.Body).OfType<string>().Where(b => b.StartsWith("in-", StringComparison.Ordinal))];

    /// <summary>Everything <paramref name="client"/> received until a message bob sends it now (the sentinel).</summary>
    private static async Task<List<Stanza>> UntilSentinelAsync(XmppClient client, XmppClient bob, string sentinel)
    {
        await bob.SendAsync(new Message { To = client.Jid, Type = MessageType.Chat, Body = sentinel }, Token);
        var seen = new List<Stanza>();
        while (true)
        {
            var stanza = await client.ReceiveAsync<Stanza>(patience: Patience);
            if (stanza is Message { Body: var body } && body == sentinel)
            {
                return seen;
            }

            seen.Add(stanza);
        }
    }

    private static async Task<string> PostAsync(HttpClient client, Jid to, string body, string? wait = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/sessions/{SessionId}/messages" + (wait is null ? "" : $"?wait={wait}"))
        {
            Content = JsonContent.Create(new PostMessageRequest { To = to.ToString(), Body = body }, options: GatewayApiFactory.Json),
        };
        return (await (await client.SendAsync(request, Token)).ReadAsync<StanzaAcceptedDto>(202)).Id;
    }
}
