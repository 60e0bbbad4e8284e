using Gateway.Api.Cluster;
using Gateway.Tests.Api;
using Gateway.Tests.Integration.Client;
using Gateway.Tests.Integration.Prosody;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Cluster;

/// <summary>Gateway hosts with a co-hosted silo, and what the cluster tests ask of them.</summary>
internal static class ClusterTestKit
{
    public static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>
    /// A gateway host in <paramref name="mode"/> against <paramref name="prosody"/>, silo ports picked free, a placement
    /// round every second, and failure detection tuned to declare a silo that stopped answering dead within seconds
    /// (Orleans' defaults take about a minute).
    /// </summary>
    public static GatewayApiFactory CreateHost(ProsodyServer prosody, ClusterMode mode, string clusterId, string storageDirectory, string? redisConnectionString = null, string? httpUrl = null)
    {
        var factory = new GatewayApiFactory(prosody)
        {
            StorageDirectory = storageDirectory,
            KeepStorage = true,
        };

        // Through the gateway's own settings (Gateway:Cluster:Membership), as an operator would set them.
        factory.Settings["Gateway:Cluster:Membership:ProbeTimeout"] = "00:00:01";
        factory.Settings["Gateway:Cluster:Membership:MissedProbesLimit"] = "2";
        factory.Settings["Gateway:Cluster:Membership:ProbedSilos"] = "1";
        factory.Settings["Gateway:Cluster:Membership:VotesForDeathDeclaration"] = "1";
        factory.Settings["Gateway:Cluster:Membership:TableRefreshTimeout"] = "00:00:02";
        factory.Settings["Gateway:Cluster:Membership:IAmAliveTablePublishTimeout"] = "00:00:05";
        factory.Settings["Gateway:Cluster:Mode"] = mode.ToString();
        factory.Settings["Gateway:Cluster:ClusterId"] = clusterId;
        factory.Settings["Gateway:Cluster:PlacementInterval"] = "00:00:01";
        if (redisConnectionString is not null)
        {
            factory.Settings["Gateway:Cluster:RedisConnectionString"] = redisConnectionString;
        }

        if (httpUrl is not null)
        {
            factory.Settings["Gateway:Cluster:AdvertisedHttpUrl"] = httpUrl;
        }

        return factory;
    }

    public static string NewClusterId() => "test-" + Guid.NewGuid().ToString("N")[..12];

    public static ISessionGrain Grain(GatewayApiFactory host, string sessionId) =>
        host.Services.GetRequiredService<IGrainFactory>().GetGrain<ISessionGrain>(SessionGrainKey.Format(GatewayApiFactory.AlphaTenant, sessionId));

    public static string SiloOf(GatewayApiFactory host) => host.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress.ToParsableString();

    public static SessionPool LocalPool(GatewayApiFactory host) => host.Services.GetRequiredService<SessionPool>();

    /// <summary>
    /// The account's available resources other than the witness's own, as the XMPP server sees them: a new client of the
    /// same account announces itself, and the server sends it the presence of each of the account's available resources
    /// (RFC 6121 §4.2.2). They are all in before the answer to the witness's ping, which follows its presence
    /// (TestClients.ConnectOnlineAsync), so what is queued then is complete.
    /// </summary>
    public static async Task<IReadOnlyList<string>> OtherResourcesAsync(ProsodyServer prosody, TestAccount account)
    {
        var own = "witness-" + Guid.NewGuid().ToString("N")[..6];
        await using var witness = await TestClients.ConnectOnlineAsync(prosody, account, own);
        var resources = new List<string>();
        while (witness.Incoming.TryRead(out var stanza))
        {
            if (stanza is Presence { Type: PresenceType.Available, From: { } from } &&
                from.Bare == witness.Jid.Bare && from.Resource is { } resource && resource != own)
            {
                resources.Add(resource);
            }
        }

        return resources;
    }

    /// <summary>Polls until <paramref name="condition"/> holds; fails after <paramref name="patience"/>. For states that arrive, never to prove absence.</summary>
    public static Task EventuallyAsync(Func<Task<bool>> condition, TimeSpan patience, string what) =>
        EventuallyAsync(condition, patience, () => what);

    /// <summary>As above, describing what was awaited (and what was seen instead) only when it fails.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, TimeSpan patience, Func<string> what)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Token);
        cts.CancelAfter(patience);
        Exception? last = null;
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                last = ex;
            }

            try
            {
                await Task.Delay(100, cts.Token);
            }
            catch (OperationCanceledException) when (!Token.IsCancellationRequested)
            {
                Assert.Fail($"Waited {patience.TotalSeconds} s for {what()}." + (last is null ? "" : $" Last error: {last}"));
            }
        }
    }
}
