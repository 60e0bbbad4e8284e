using Gateway.Api.Cluster;
using Gateway.Api.Cluster.Forwarding;
using Gateway.Tests.Api;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Cluster.Forwarding;

/// <summary>
/// One clustered node (Localhost mode, real loopback socket, no XMPP server needed) whose owner cache is seeded with a
/// stale owner, as after a move: the stale entry is dropped when using it fails, and the grain is asked again.
/// </summary>
[Trait("Tier", "Integration")]
public sealed class OwnerCacheHostTests : IAsyncLifetime
{
    private const string Session = "/api/v1/sessions/nobody";
    private readonly GatewayApiFactory _app = new();

    public ValueTask InitializeAsync()
    {
        _app.Settings["Gateway:Cluster:Mode"] = nameof(ClusterMode.Localhost);
        _app.Settings["Gateway:Cluster:ClusterId"] = ClusterTestKit.NewClusterId();
        _app.Settings["Gateway:Cluster:AdvertisedHttpUrl"] = "http://127.0.0.1:9/";

        // Long enough that nothing in these tests expires by time: what drops an entry is its failure.
        _app.Settings["Gateway:Cluster:Forwarding:OwnerCacheTtl"] = "00:05:00";
        _app.UseRealSocket();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private SessionOwnerCache Cache => _app.Services.GetRequiredService<SessionOwnerCache>();

    [Fact]
    public async Task StaleOwnerNotListening_IsForgotten_AndTheGrainAskedAgainInTheSameCall()
    {
        using var client = _app.CreateAlphaClient();
        var stale = new SessionOwner("silo-gone", $"http://127.0.0.1:{GatewayApiFactory.FreeLoopbackPort()}/", Hosted: true);
        Cache.Remember(GatewayApiFactory.AlphaTenant, "nobody", stale);

        // Refused at the stale address; the grain (asked again) knows no such session: 404, as for any unknown one.
        await (await client.GetAsync(new Uri(Session, UriKind.Relative), ClusterTestKit.Token)).ProblemAsync(404, "session-not-found");

        Assert.False(Cache.TryGet(GatewayApiFactory.AlphaTenant, "nobody", out _));
        Assert.Contains(_app.Logs.Entries, e => e.EventId.Id == 7202);
        Assert.Contains(_app.Logs.Entries, e => e.EventId.Id == 7291);
    }

    [Fact]
    public async Task StaleOwnerThatNoLongerRunsTheSession_Answers503Once_ThenTheGrainIsAsked()
    {
        using var client = _app.CreateAlphaClient();

        // The stale owner is a live node that does not run the session (here: this node itself, under another silo
        // name): it answers the forwarded call 503, the session is not here.
        Cache.Remember(GatewayApiFactory.AlphaTenant, "nobody", new SessionOwner("silo-old", _app.ServerAddress.ToString(), Hosted: true));

        await (await client.GetAsync(new Uri(Session, UriKind.Relative), ClusterTestKit.Token)).ProblemAsync(503, "session-unavailable");
        Assert.False(Cache.TryGet(GatewayApiFactory.AlphaTenant, "nobody", out _));

        await (await client.GetAsync(new Uri(Session, UriKind.Relative), ClusterTestKit.Token)).ProblemAsync(404, "session-not-found");
    }

    [Fact]
    public async Task RemovingTheSession_ForgetsWhereItRan()
    {
        using var client = _app.CreateAlphaClient();
        Cache.Remember(GatewayApiFactory.AlphaTenant, "nobody", new SessionOwner("silo-old", "http://127.0.0.1:9/", Hosted: true));
        Cache.Remember(GatewayApiFactory.BetaTenant, "nobody", new SessionOwner("silo-old", "http://127.0.0.1:9/", Hosted: true));

        await client.DeleteAsync(new Uri(Session, UriKind.Relative), ClusterTestKit.Token);

        Assert.False(Cache.TryGet(GatewayApiFactory.AlphaTenant, "nobody", out _));
        Assert.True(Cache.TryGet(GatewayApiFactory.BetaTenant, "nobody", out _));
    }
}
