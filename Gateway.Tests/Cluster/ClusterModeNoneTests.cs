using Gateway.Api.Cluster;
using Gateway.Tests.Api;
using Gateway.Xmpp.Pool;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Cluster;

/// <summary>Without <c>Gateway:Cluster:Mode</c> the gateway is what it was: no silo, the pool restores every stored session.</summary>
[Trait("Tier", "Api")]
public sealed class ClusterModeNoneTests
{
    [Fact]
    public async Task Host_ModeNone_StartsNoSiloAndUsesThePoolDirectly()
    {
        await using var app = new GatewayApiFactory();
        using var client = app.CreateAlphaClient();

        var health = await client.GetAsync(new Uri("/health", UriKind.Relative), TestContext.Current.CancellationToken);

        Assert.True(health.IsSuccessStatusCode);
        Assert.Equal(ClusterMode.None, app.Services.GetRequiredService<IOptions<GatewayClusterOptions>>().Value.Mode);
        Assert.Null(app.Services.GetService<IGrainFactory>());
        Assert.Null(app.Services.GetService<SiloEndpoints>());
        Assert.IsType<SessionPool>(app.Services.GetRequiredService<ISessionPool>());
        Assert.True(app.Services.GetRequiredService<SessionPoolOptions>().RestoreStoredSessions);
    }

    [Fact]
    public async Task Host_InvalidClusterSettings_DoesNotStart()
    {
        await using var app = new GatewayApiFactory();
        app.Settings["Gateway:Cluster:Mode"] = "Redis";

        var failure = Assert.ThrowsAny<Exception>(() => app.CreateClient());

        Assert.Contains("Gateway:Cluster:RedisConnectionString is required", failure.ToString(), StringComparison.Ordinal);
    }
}
