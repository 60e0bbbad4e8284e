using System.Globalization;
using Gateway.Api.Cluster;
using Gateway.Api.Cluster.Events;
using Gateway.Api.Contracts;
using Gateway.Api.Errors;
using Gateway.Api.Hubs;
using Gateway.Tests.Api;
using Gateway.Tests.Api.EndToEnd;
using Gateway.Tests.Api.Events;
using Gateway.Tests.Api.Hubs;
using Gateway.Tests.Api.Webhooks;
using Gateway.Tests.Integration.Client;
using Gateway.Tests.Integration.Prosody;
using Gateway.Tests.Integration.Redis;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Cluster.Events;

/// <summary>
/// Two gateway nodes clustered through the private Redis, sharing one SQLite store, against the private Prosody: a
/// session runs on node A, and node B's hub subscribers, event streams and event-log reads get its events, each once
/// and in order; its webhooks are delivered once, by A.
/// </summary>
[Trait("Tier", "Integration")]
public sealed class CrossNodeEventsTests(ProsodyFixture prosody, RedisFixture redisFixture)
{
    private const string SessionId = "shared";
    private const string EventsUrl = $"/api/v1/sessions/{SessionId}/events";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SessionOnA_SubscribersOnB_GetEveryMessageOnceInOrder_AndWebhooksOnceFromA()
    {
        var redis = await redisFixture.GetServerAsync();
        var (alice, bob) = (await prosody.CreateAccountAsync("xnode", Token), await prosody.CreateAccountAsync("xpeer", Token));
        var clusterId = ClusterTestKit.NewClusterId();
        var storage = GatewayApiFactory.NewStorageDirectory();
        await using var receiver = await WebhookReceiver.StartAsync();
        var nodeA = Node(ClusterTestKit.CreateHost(prosody.Server, ClusterMode.Redis, clusterId, storage, redis.ConnectionString));
        var nodeB = Node(ClusterTestKit.CreateHost(prosody.Server, ClusterMode.Redis, clusterId, storage, redis.ConnectionString).UseRealSocket());
        try
        {
            await StartWithSessionOnAAsync(nodeA, nodeB, alice);

            // Created through B, which does not run the session: A learns of it from the store and delivers it.
            using var clientB = nodeB.CreateAlphaClient();
            var webhook = await WebhookTestKit.CreateWebhookAsync(clientB, receiver.Url("/xmpp"), events: ["message"]);
            receiver.Secrets = [webhook.Secret];

            var (hub, hubEvents) = await HubTestKit.ConnectAsync(nodeB);
            await using var _ = hub;
            var subscribed = await hub.InvokeAsync<SubscriptionDto>("Subscribe", SessionId, Token);
            Assert.Equal("online", subscribed.State);
            var (opened, sse) = await SseTestClient.OpenAsync(clientB, EventsUrl);
            Assert.NotNull(sse);
            await using var __ = sse;

            // Tenant isolation on B: beta cannot follow alpha's session, by hub, stream or journal.
            var (betaHub, _) = await HubTestKit.ConnectAsync(nodeB, GatewayApiFactory.BetaKey);
            await using (betaHub)
            {
                var refused = await Assert.ThrowsAsync<HubException>(() => betaHub.InvokeAsync<SubscriptionDto>("Subscribe", SessionId, Token));
                Assert.Contains(ProblemCodes.SessionNotFound, refused.Message, StringComparison.Ordinal);
                refused = await Assert.ThrowsAsync<HubException>(() => betaHub.InvokeAsync<SubscriptionDto>("SubscribeAfter", SessionId, 0L, Token));
                Assert.Contains(ProblemCodes.SessionNotFound, refused.Message, StringComparison.Ordinal);
            }

            using (var betaB = nodeB.CreateBetaClient())
            {
                var (betaStream, none) = await SseTestClient.OpenAsync(betaB, EventsUrl);
                Assert.Null(none);
                await betaStream.ProblemAsync(404, ProblemCodes.SessionNotFound);
            }

            // The peer sends through Prosody to the session on A.
            const int Count = 20;
            await using var peer = await TestClients.ConnectOnlineAsync(prosody.Server, bob);
            for (var i = 1; i <= Count; i++)
            {
                await peer.SendAsync(new Message { To = Jid.Parse($"{alice.Bare}/gateway"), Type = MessageType.Chat, Body = Body(i), Id = $"x-{i}" }, Token);
            }

            // B's hub subscriber: every message, in order, once.
            var messageIds = new List<long>();
            for (var i = 1; i <= Count; i++)
            {
                var e = await hubEvents.NextAsync<MessageDto>(m => m.Kind == EventKinds.Message);
                Assert.Equal(Body(i), e.Data.Body);
                messageIds.Add(e.EventId);
            }

            AssertStrictlyIncreasing(hubEvents.EventIds);

            // B's event stream: the same events, same ids, in order.
            var streamed = new List<(long Id, string? Body)>();
            while (streamed.Count < Count)
            {
                var item = await sse.NextEventAsync();
                if (item.Event == EventKinds.Message)
                {
                    streamed.Add((item.EventId, item.Json.GetProperty("data").GetProperty("body").GetString()));
                }
            }

            Assert.Equal(messageIds, streamed.Select(s => s.Id));
            Assert.Equal(Enumerable.Range(1, Count).Select(Body), streamed.Select(s => s.Body));
            AssertStrictlyIncreasing([.. sse.Seen.Where(s => s.Id is not null).Select(s => s.EventId)]);

            // SubscribeAfter(k) on B: exactly the events after k, as the live subscriber got them.
            var k = messageIds[Count / 2 - 1];
            var expected = hubEvents.EventIds.Where(id => id > k).ToList();
            var (late, lateEvents) = await HubTestKit.ConnectAsync(nodeB);
            await using (late)
            {
                await late.InvokeAsync<SubscriptionDto>("SubscribeAfter", SessionId, k, Token);
                await ClusterTestKit.EventuallyAsync(
                    () => Task.FromResult(lateEvents.EventIds.Count >= expected.Count),
                    Patience,
                    () => $"the late subscriber to get {expected.Count} events after {k}; got [{string.Join(", ", lateEvents.EventIds)}]");
                Assert.Equal(expected, lateEvents.EventIds.Take(expected.Count));
                Assert.Equal(expected.Count, lateEvents.EventIds.Distinct().Count(id => id <= expected[^1]));
            }

            // The event log of a session that runs elsewhere, read on B: from the shared store, within the tenant.
            var poolB = nodeB.Services.GetRequiredService<ISessionPool>();
            var history = await poolB.ReadHistoryAsync(GatewayApiFactory.AlphaTenant, SessionId, k, 1_000, long.MaxValue, Token);
            Assert.Equal(messageIds.Where(id => id > k), history.Events.OfType<MessageReceived>().Select(e => e.EventId));
            Assert.Empty((await poolB.ReadHistoryAsync(GatewayApiFactory.BetaTenant, SessionId, 0, 1_000, long.MaxValue, Token)).Events);

            // Webhooks: every message once, by the node that runs the session (B's lane idles). A last message is
            // the sentinel: lanes deliver in order, so once it is in, every earlier one was attempted.
            await peer.SendAsync(new Message { To = Jid.Parse($"{alice.Bare}/gateway"), Type = MessageType.Chat, Body = "sentinel", Id = "x-end" }, Token);
            await ClusterTestKit.EventuallyAsync(
                () => Task.FromResult(receiver.Snapshot().Any(r => BodyOf(r) == "sentinel")),
                Patience,
                () => $"the webhook deliveries up to the sentinel; got {receiver.Received.Count}\n" + Warnings(nodeA, nodeB));
            var delivered = receiver.Snapshot();
            Assert.All(delivered, r => Assert.True(r.Verified, r.VerifyError));
            Assert.Equal(delivered.Length, delivered.Select(r => r.Id).Distinct().Count());
            Assert.Equal([.. Enumerable.Range(1, Count).Select(Body), "sentinel"], delivered.Select(BodyOf));
            Assert.DoesNotContain(nodeB.Logs.Entries, e => e.Category.Contains("Webhook", StringComparison.Ordinal) && e.Message.Contains("delivered", StringComparison.OrdinalIgnoreCase));

            // Doorbells only while B has subscribers: once the last is gone, B stops following and A stops ringing.
            var feedB = nodeB.Services.GetRequiredService<RemoteEventFeed>();
            var doorbellsA = nodeA.Services.GetRequiredService<EventDoorbells>();
            Assert.Equal(1, feedB.FollowedCount);
            Assert.Equal(1, doorbellsA.FollowedSessions);
            await hub.InvokeAsync("Unsubscribe", SessionId, Token);
            await sse.DisposeAsync();
            await ClusterTestKit.EventuallyAsync(
                () => Task.FromResult(feedB.FollowedCount == 0 && doorbellsA.FollowedSessions == 0),
                Patience,
                () => $"B to stop following the session ({feedB.FollowedCount}) and A to stop ringing B ({doorbellsA.FollowedSessions})");
            AssertNoErrors(nodeA, nodeB);
        }
        finally
        {
            await nodeB.DisposeAsync();
            await nodeA.DisposeAsync();
            Directory.Delete(storage, recursive: true);
        }
    }

    [Fact]
    public async Task OwnerStops_SubscriberOnB_GoesOnWithTheNewOwnersEvents()
    {
        var redis = await redisFixture.GetServerAsync();
        var (alice, bob) = (await prosody.CreateAccountAsync("xmove", Token), await prosody.CreateAccountAsync("xmovepeer", Token));
        var clusterId = ClusterTestKit.NewClusterId();
        var storage = GatewayApiFactory.NewStorageDirectory();
        var nodeA = Node(ClusterTestKit.CreateHost(prosody.Server, ClusterMode.Redis, clusterId, storage, redis.ConnectionString));
        var nodeB = Node(ClusterTestKit.CreateHost(prosody.Server, ClusterMode.Redis, clusterId, storage, redis.ConnectionString).UseRealSocket());
        try
        {
            await StartWithSessionOnAAsync(nodeA, nodeB, alice);
            var (hub, hubEvents) = await HubTestKit.ConnectAsync(nodeB);
            await using var _ = hub;
            await hub.InvokeAsync<SubscriptionDto>("Subscribe", SessionId, Token);
            await using var peer = await TestClients.ConnectOnlineAsync(prosody.Server, bob);
            for (var i = 1; i <= 5; i++)
            {
                await peer.SendAsync(new Message { To = Jid.Parse($"{alice.Bare}/gateway"), Type = MessageType.Chat, Body = Body(i), Id = $"m-{i}" }, Token);
            }

            for (var i = 1; i <= 5; i++)
            {
                Assert.Equal(Body(i), (await hubEvents.NextAsync<MessageDto>(m => m.Kind == EventKinds.Message)).Data.Body);
            }

            // A shuts down: the session is released and B hosts it (its placement round, or its feed's refresh).
            await nodeA.DisposeAsync();
            await ClusterTestKit.EventuallyAsync(
                () => Task.FromResult(ClusterTestKit.LocalPool(nodeB).Find(GatewayApiFactory.AlphaTenant, SessionId)?.Info.State == SessionState.Online),
                Patience,
                () => "node B to host the session and bring it online\n" + Warnings(nodeA, nodeB));

            for (var i = 6; i <= 10; i++)
            {
                await peer.SendAsync(new Message { To = Jid.Parse($"{alice.Bare}/gateway"), Type = MessageType.Chat, Body = Body(i), Id = $"m-{i}" }, Token);
            }

            for (var i = 6; i <= 10; i++)
            {
                Assert.Equal(Body(i), (await hubEvents.NextAsync<MessageDto>(m => m.Kind == EventKinds.Message)).Data.Body);
            }

            // Across the move: every event id once, in order, none skipped.
            var ids = hubEvents.EventIds;
            AssertStrictlyIncreasing(ids);
            Assert.Equal(Enumerable.Range((int)ids[0], ids.Count).Select(i => (long)i), ids);
        }
        finally
        {
            await nodeB.DisposeAsync();
            await nodeA.DisposeAsync();
            Directory.Delete(storage, recursive: true);
        }
    }

    private static GatewayApiFactory Node(GatewayApiFactory factory)
    {
        factory.Settings["Gateway:Webhooks:AllowHttp"] = "true";
        factory.Settings["Gateway:Webhooks:AllowPrivateAddresses"] = "true";
        return factory;
    }

    /// <summary>Node A first, the session created through it; then B, once it sees A as the owner.</summary>
    private static async Task StartWithSessionOnAAsync(GatewayApiFactory nodeA, GatewayApiFactory nodeB, TestAccount account)
    {
        using (var clientA = nodeA.CreateAlphaClient())
        {
            await clientA.CreateSessionAsync(nodeA.Prosody, account, SessionId);
        }

        _ = nodeB.ServerAddress;
        var siloA = ClusterTestKit.SiloOf(nodeA);
        await ClusterTestKit.EventuallyAsync(
            async () => await ClusterTestKit.Grain(nodeB, SessionId).GetOwnerAsync() is { Hosted: true } owner && owner.Silo == siloA,
            Patience,
            () => "node B to see the session owned by node A\n" + Warnings(nodeA, nodeB));
        Assert.Null(ClusterTestKit.LocalPool(nodeB).Find(GatewayApiFactory.AlphaTenant, SessionId));
    }

    private static string Body(int i) => "m" + i.ToString(CultureInfo.InvariantCulture);

    private static string? BodyOf(ReceivedWebhook r) => r.Json.GetProperty("data").GetProperty("data").GetProperty("body").GetString();

    private static void AssertStrictlyIncreasing(IReadOnlyList<long> ids)
    {
        for (var i = 1; i < ids.Count; i++)
        {
            Assert.True(ids[i] > ids[i - 1], $"event ids out of order or repeated: [{string.Join(", ", ids)}]");
        }
    }

    private static void AssertNoErrors(params GatewayApiFactory[] nodes)
    {
        foreach (var node in nodes)
        {
            node.Logs.AssertNoErrors(e => !e.Category.StartsWith("Gateway.", StringComparison.Ordinal));
        }
    }

    private static string Warnings(GatewayApiFactory nodeA, GatewayApiFactory nodeB) =>
        string.Join('\n', new[] { ("A", nodeA), ("B", nodeB) }.Select(n =>
            $"--- node {n.Item1} ---\n" + string.Join('\n', n.Item2.Logs.Entries.Where(e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Warning).TakeLast(40))));
}
