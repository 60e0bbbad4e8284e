using Gateway.Api.Contracts;
using Gateway.Api.Cluster;
using Gateway.Api.Cluster.Forwarding;
using Gateway.Tests.Api;
using Gateway.Tests.Api.EndToEnd;
using Gateway.Tests.Integration.Prosody;
using Gateway.Tests.Integration.Redis;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Cluster.Forwarding;

/// <summary>
/// Two gateway nodes on real loopback sockets, clustered through the private Redis, against the private Prosody, each
/// with a tenant limit of <see cref="Limit"/> calls an hour: a call forwarded from B to A costs its tenant one token,
/// on B, not a second one on A.
/// </summary>
[Trait("Tier", "Integration")]
public sealed class ClusterForwardedRateLimitTests(ProsodyFixture prosody, RedisFixture redisFixture)
{
    private const int Limit = 4;
    private const string SessionId = "limited";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task ForwardedCalls_CostOneTokenOnTheNodeThatReceivedThem_NotASecondOnTheOwner()
    {
        var redis = await redisFixture.GetServerAsync();
        var account = await prosody.CreateAccountAsync("fwdlimit", ClusterTestKit.Token);
        var clusterId = ClusterTestKit.NewClusterId();
        var storage = GatewayApiFactory.NewStorageDirectory();
        var (portA, portB) = (GatewayApiFactory.FreeLoopbackPort(), GatewayApiFactory.FreeLoopbackPort());
        var nodeA = Limited(ClusterTestKit.CreateHost(prosody.Server, ClusterMode.Redis, clusterId, storage, redis.ConnectionString, $"http://127.0.0.1:{portA}/").UseRealSocket(portA));
        var nodeB = Limited(ClusterTestKit.CreateHost(prosody.Server, ClusterMode.Redis, clusterId, storage, redis.ConnectionString, $"http://127.0.0.1:{portB}/").UseRealSocket(portB));
        try
        {
            // On A: the create and Limit - 1 reads spend the tenant's whole budget there.
            using var clientA = nodeA.CreateAlphaClient();
            await clientA.CreateSessionAsync(prosody.Server, account, SessionId);
            for (var i = 1; i < Limit; i++)
            {
                await (await clientA.GetAsync(Url, ClusterTestKit.Token)).ReadAsync<SessionDto>(200);
            }

            await (await clientA.GetAsync(Url, ClusterTestKit.Token)).ProblemAsync(429, "rate-limited");

            using var clientB = nodeB.CreateAlphaClient();
            var siloA = ClusterTestKit.SiloOf(nodeA);
            await ClusterTestKit.EventuallyAsync(
                async () => await ClusterTestKit.Grain(nodeB, SessionId).GetOwnerAsync() is { Hosted: true } owner && owner.Silo == siloA,
                Patience,
                "node B to see the session owned by node A");

            // Through B, exactly the limit: each forwarded to A (whose budget is spent) and answered by A, none refused.
            for (var i = 0; i < Limit; i++)
            {
                var session = await (await clientB.GetAsync(Url, ClusterTestKit.Token)).ReadAsync<SessionDto>(200);
                Assert.Equal(SessionId, session.Id);
            }

            Assert.Equal(Limit, nodeB.Logs.Entries.Count(e => e.EventId.Id == 7201));

            // B kept where the session runs (SessionOwnerCache), so the burst asked the grain once, not per call.
            Assert.True(nodeB.Services.GetRequiredService<SessionOwnerCache>().TryGet(GatewayApiFactory.AlphaTenant, SessionId, out var kept));
            Assert.Equal(siloA, kept.Silo);

            // One more: refused once, by B itself (429 problem details), and not forwarded.
            var refused = await clientB.GetAsync(Url, ClusterTestKit.Token);
            var problem = await refused.ProblemAsync(429, "rate-limited");
            Assert.Contains("Gateway:RateLimits", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.NotNull(refused.Headers.RetryAfter);
            Assert.Equal(Limit, nodeB.Logs.Entries.Count(e => e.EventId.Id == 7201));
        }
        finally
        {
            await nodeB.DisposeAsync();
            await nodeA.DisposeAsync();
            Directory.Delete(storage, recursive: true);
        }
    }

    private static Uri Url => new($"/api/v1/sessions/{SessionId}", UriKind.Relative);

    private static GatewayApiFactory Limited(GatewayApiFactory node)
    {
        node.Settings["Gateway:RateLimits:TokenLimit"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture);
        node.Settings["Gateway:RateLimits:TokensPerPeriod"] = "1";
        node.Settings["Gateway:RateLimits:ReplenishmentPeriod"] = "01:00:00";
        return node;
    }
}
