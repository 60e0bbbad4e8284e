using System.Net.Sockets;
using Gateway.Api.Cluster;
using Gateway.Tests.Api;
using Gateway.Tests.Api.EndToEnd;
using Gateway.Tests.Integration.Prosody;
using Gateway.Xmpp.Pool;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Cluster;

/// <summary><c>Gateway:Cluster:Mode</c> Localhost: one node, a silo in the process on free ports, sessions owned through their grains.</summary>
[Trait("Tier", "Integration")]
public sealed class LocalhostClusterTests(ProsodyFixture prosody)
{
    [Fact]
    public async Task Host_Localhost_StartsASiloOnFreePortsAndOwnsItsSessions()
    {
        var storage = GatewayApiFactory.NewStorageDirectory();
        var account = await prosody.CreateAccountAsync("local", TestContext.Current.CancellationToken);
        var app = ClusterTestKit.CreateHost(prosody.Server, ClusterMode.Localhost, ClusterTestKit.NewClusterId(), storage, httpUrl: "http://127.0.0.1:18080/");
        try
        {
            using var client = app.CreateAlphaClient();
            await client.CreateSessionAsync(prosody.Server, account, "solo");

            var endpoints = app.Services.GetRequiredService<SiloEndpoints>();
            Assert.NotEqual(0, endpoints.SiloPort);
            Assert.NotEqual(endpoints.SiloPort, endpoints.GatewayPort);
            using (var probe = new TcpClient())
            {
                await probe.ConnectAsync("127.0.0.1", endpoints.SiloPort, ClusterTestKit.Token);
            }

            Assert.IsType<ClusteredSessionPool>(app.Services.GetRequiredService<ISessionPool>());
            Assert.False(app.Services.GetRequiredService<SessionPoolOptions>().RestoreStoredSessions);
            var owner = await ClusterTestKit.Grain(app, "solo").GetOwnerAsync();
            Assert.True(owner.Hosted);
            Assert.Equal(ClusterTestKit.SiloOf(app), owner.Silo);
            Assert.Equal("http://127.0.0.1:18080/", owner.HttpBaseAddress);
            Assert.NotNull(ClusterTestKit.LocalPool(app).Find(GatewayApiFactory.AlphaTenant, "solo"));

            // Removing goes through the grain too: the session is gone and its grain hosts nothing any more.
            var removed = await client.DeleteAsync(new Uri("/api/v1/sessions/solo", UriKind.Relative), ClusterTestKit.Token);
            Assert.True(removed.IsSuccessStatusCode, $"DELETE answered {(int)removed.StatusCode}");
            Assert.Null(ClusterTestKit.LocalPool(app).Find(GatewayApiFactory.AlphaTenant, "solo"));
            Assert.False((await ClusterTestKit.Grain(app, "solo").GetOwnerAsync()).Hosted);
            app.Logs.AssertNoErrors();
        }
        finally
        {
            await app.DisposeAsync();
            Directory.Delete(storage, recursive: true);
        }
    }

    [Fact]
    public async Task Host_LocalhostRestarted_HostsItsStoredSessionAgainThroughTheGrain()
    {
        var storage = GatewayApiFactory.NewStorageDirectory();
        var account = await prosody.CreateAccountAsync("again", TestContext.Current.CancellationToken);
        try
        {
            await using (var first = ClusterTestKit.CreateHost(prosody.Server, ClusterMode.Localhost, ClusterTestKit.NewClusterId(), storage))
            {
                using var client = first.CreateAlphaClient();
                await client.CreateSessionAsync(prosody.Server, account, "again");
            }

            await using var second = ClusterTestKit.CreateHost(prosody.Server, ClusterMode.Localhost, ClusterTestKit.NewClusterId(), storage);
            _ = second.Services;
            await ClusterTestKit.EventuallyAsync(
                () => Task.FromResult(ClusterTestKit.LocalPool(second).Find(GatewayApiFactory.AlphaTenant, "again")?.Info.State == SessionState.Online),
                TimeSpan.FromSeconds(60),
                "the restarted node to host the stored session and bring it online");
            Assert.True((await ClusterTestKit.Grain(second, "again").GetOwnerAsync()).Hosted);
        }
        finally
        {
            Directory.Delete(storage, recursive: true);
        }
    }
}
