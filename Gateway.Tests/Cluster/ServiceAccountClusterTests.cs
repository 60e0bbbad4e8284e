using Gateway.Api.Cluster;
using Gateway.Tests.Api;
using Gateway.Tests.Integration.Prosody;
using Gateway.Tests.Integration.Redis;

namespace Gateway.Tests.Cluster;

/// <summary>
/// A service account (<c>Gateway:Accounts</c>) configured on every node is opened once in the cluster: its grain puts it
/// on one node, and the other node says so instead of logging a failure.
/// </summary>
[Trait("Tier", "Integration")]
public sealed class ServiceAccountClusterTests(ProsodyFixture prosody, RedisFixture redisFixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task TwoNodesWithTheSameServiceAccount_OneLoginNoFailure()
    {
        var redis = await redisFixture.GetServerAsync();
        var account = await prosody.CreateAccountAsync("service", TestContext.Current.CancellationToken);
        var clusterId = ClusterTestKit.NewClusterId();
        var storage = GatewayApiFactory.NewStorageDirectory();
        var nodes = new[]
        {
            ClusterTestKit.CreateHost(prosody.Server, ClusterMode.Redis, clusterId, storage, redis.ConnectionString),
            ClusterTestKit.CreateHost(prosody.Server, ClusterMode.Redis, clusterId, storage, redis.ConnectionString),
        };
        foreach (var node in nodes)
        {
            node.Settings["Gateway:Accounts:0:Tenant"] = GatewayApiFactory.AlphaTenant;
            node.Settings["Gateway:Accounts:0:Id"] = "svc";
            node.Settings["Gateway:Accounts:0:Jid"] = account.Bare;
            node.Settings["Gateway:Accounts:0:Password"] = account.Password;
            node.Settings["Gateway:Accounts:0:Resource"] = "gateway";
            node.Settings["Gateway:Accounts:0:Host"] = prosody.Server.Host;
            node.Settings["Gateway:Accounts:0:Port"] = prosody.Server.C2sPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        try
        {
            foreach (var node in nodes)
            {
                _ = node.Services;
            }

            // Each node's attempt ends one way or the other: online (5022), failed (5023), or already in the cluster (7258).
            static bool Settled(CapturedLog e) => e.EventId.Id is 5022 or 5023 or 7258;
            await ClusterTestKit.EventuallyAsync(
                () => Task.FromResult(nodes.All(n => n.Logs.Entries.Any(Settled))),
                Patience,
                () => "both nodes to settle the service account\n" + string.Join('\n', nodes.SelectMany(n => n.Logs.Entries).Where(e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Warning)));

            var outcomes = nodes.SelectMany(n => n.Logs.Entries.Where(Settled)).Select(e => e.EventId.Id).Order().ToArray();
            Assert.True(outcomes.SequenceEqual([5022, 7258]), string.Join('\n', nodes.SelectMany(n => n.Logs.Entries.Where(Settled))));
            Assert.Equal(["gateway"], await ClusterTestKit.OtherResourcesAsync(prosody.Server, account));
            Assert.Single(nodes, n => ClusterTestKit.LocalPool(n).Find(GatewayApiFactory.AlphaTenant, "svc") is not null);
            foreach (var node in nodes)
            {
                node.Logs.AssertNoErrors();
            }
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }

            Directory.Delete(storage, recursive: true);
        }
    }
}
