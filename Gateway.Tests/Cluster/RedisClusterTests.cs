using Gateway.Api.Cluster;
using Gateway.Tests.Api;
using Gateway.Tests.Api.EndToEnd;
using Gateway.Tests.Integration.Prosody;
using Gateway.Tests.Integration.Redis;
using Gateway.Xmpp.Pool;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Gateway.Tests.Cluster;

/// <summary>
/// Two gateway nodes in one process, clustered through the private Redis, sharing one SQLite store, against the private
/// Prosody: a session runs on exactly one of them, both know which, and when that node dies the other takes it over.
/// </summary>
[Trait("Tier", "Integration")]
public sealed class RedisClusterTests(ProsodyFixture prosody, RedisFixture redisFixture)
{
    private const string SessionId = "shared";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task TwoNodes_SessionCreatedOnOne_RunsOnceAndMovesWhenItsNodeStops(bool abrupt)
    {
        var redis = await redisFixture.GetServerAsync();
        var account = await prosody.CreateAccountAsync("clustered", TestContext.Current.CancellationToken);
        var clusterId = ClusterTestKit.NewClusterId();
        var storage = GatewayApiFactory.NewStorageDirectory();
        var nodeA = ClusterTestKit.CreateHost(prosody.Server, ClusterMode.Redis, clusterId, storage, redis.ConnectionString, "http://127.0.0.1:18081/");
        var nodeB = ClusterTestKit.CreateHost(prosody.Server, ClusterMode.Redis, clusterId, storage, redis.ConnectionString, "http://127.0.0.1:18082/");
        try
        {
            // Node A first, and the session through its REST API: it also writes the store's key ring B then reads.
            using (var clientA = nodeA.CreateAlphaClient())
            {
                await clientA.CreateSessionAsync(prosody.Server, account, SessionId);
            }

            _ = nodeB.Services;
            var siloA = ClusterTestKit.SiloOf(nodeA);
            var siloB = ClusterTestKit.SiloOf(nodeB);
            Assert.NotEqual(siloA, siloB);

            // Both nodes answer for it: the grain reports node A from either side, and B's placement rounds (every
            // second) keep asking without moving it.
            SessionOwner? seen = null;
            await ClusterTestKit.EventuallyAsync(
                async () => (seen = await ClusterTestKit.Grain(nodeB, SessionId).GetOwnerAsync()) is { Hosted: true } owner && owner.Silo == siloA,
                Patience,
                () => $"node B to see the session owned by node A ({siloA}); last seen {seen}\n" + Warnings(nodeA, nodeB));
            var fromA = await ClusterTestKit.Grain(nodeA, SessionId).GetOwnerAsync();
            Assert.Equal(siloA, fromA.Silo);
            Assert.Equal("http://127.0.0.1:18081/", fromA.HttpBaseAddress);
            Assert.NotNull(ClusterTestKit.LocalPool(nodeA).Find(GatewayApiFactory.AlphaTenant, SessionId));
            Assert.Null(ClusterTestKit.LocalPool(nodeB).Find(GatewayApiFactory.AlphaTenant, SessionId));

            // The XMPP server's view: one login of the account, the session's resource.
            Assert.Equal(["gateway"], await ClusterTestKit.OtherResourcesAsync(prosody.Server, account));

            // Creating it again through node B is a conflict, not a second login.
            using (var clientB = nodeB.CreateAlphaClient())
            {
                var again = await clientB.PostJsonAsync("/api/v1/sessions", AccountTestKit.SessionFor(prosody.Server, account, SessionId));
                await again.ProblemAsync(409);
            }

            // Had a second node logged the account in with the same resource, the server would have replaced one
            // connection with the other (RFC 6120 §7.7.2.2, stream error 'conflict'), and the loser would have logged it.
            Assert.DoesNotContain(nodeA.Logs.Entries.Concat(nodeB.Logs.Entries), IsKickedByConflict);

            if (abrupt)
            {
                // Node A dies: its host stops with a cancelled token, which stops the silo without the graceful leave
                // (no deactivations, no goodbye to the membership table), so B must find out through failed probes.
                await StopAbruptlyAsync(nodeA);
            }
            else
            {
                // Node A shuts down: it drains the session to B with its stream (ClusterDrainTests), and leaves.
                await nodeA.DisposeAsync();
            }

            await ClusterTestKit.EventuallyAsync(
                () => Task.FromResult(ClusterTestKit.LocalPool(nodeB).Find(GatewayApiFactory.AlphaTenant, SessionId)?.Info.State == SessionState.Online),
                Patience,
                () => "node B to host the session and bring it online\n" + Warnings(nodeA, nodeB));
            var afterFailover = await ClusterTestKit.Grain(nodeB, SessionId).GetOwnerAsync();
            Assert.True(afterFailover.Hosted);
            Assert.Equal(siloB, afterFailover.Silo);
            Assert.Equal("http://127.0.0.1:18082/", afterFailover.HttpBaseAddress);
            Assert.Equal(["gateway"], await ClusterTestKit.OtherResourcesAsync(prosody.Server, account));

            Assert.DoesNotContain(nodeB.Logs.Entries, IsKickedByConflict);

            // The Redis password is in the connection string, never in a log line.
            Assert.DoesNotContain(nodeA.Logs.Entries.Concat(nodeB.Logs.Entries), e => e.AllText.Contains(redis.Password, StringComparison.Ordinal));
        }
        finally
        {
            await nodeB.DisposeAsync();
            await nodeA.DisposeAsync();
            Directory.Delete(storage, recursive: true);
        }
    }

    private static bool IsKickedByConflict(CapturedLog entry) => entry.Message.Contains("'conflict'", StringComparison.Ordinal);

    /// <summary>What went wrong, for a failure message: each node's warnings and errors, the last 40 of each.</summary>
    private static string Warnings(GatewayApiFactory nodeA, GatewayApiFactory nodeB) =>
        string.Join('\n', new[] { ("A", nodeA), ("B", nodeB) }.Select(n =>
            $"--- node {n.Item1} ---\n" + string.Join('\n', n.Item2.Logs.Entries.Where(e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Warning).TakeLast(40))));

    private static async Task StopAbruptlyAsync(GatewayApiFactory node)
    {
        try
        {
            await node.Services.GetRequiredService<IHost>().StopAsync(new CancellationToken(canceled: true));
        }
        catch (OperationCanceledException)
        {
            // Some services give up at once on a cancelled stop: that is the point.
        }
        catch (AggregateException ex) when (ex.InnerExceptions.All(e => e is OperationCanceledException))
        {
        }
    }
}
