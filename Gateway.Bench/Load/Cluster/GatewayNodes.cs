using System.Globalization;
using System.Net;
using System.Security.Cryptography;

namespace Gateway.Bench.Load.Cluster;

/// <summary>
/// N gateway processes forming one cluster: Orleans clustering on Redis, the store on PostgreSQL (one fresh database
/// per cluster), one tenant whose API key they share, each advertising its own loopback address for forwarding, each
/// in its own CPU budget when one is given (<see cref="CpuLimit"/>).
/// </summary>
internal sealed class GatewayNodes : IAsyncDisposable
{
    private readonly List<GatewayProcess> _nodes;
    private readonly List<CpuLimit> _limits;

    private GatewayNodes(List<GatewayProcess> nodes, List<CpuLimit> limits, string apiKey, string? limitNote)
    {
        _nodes = nodes;
        _limits = limits;
        ApiKey = apiKey;
        LimitNote = limitNote;
        Meters = nodes.Select((node, i) => new ProcessMeter($"node {(i + 1).ToString(CultureInfo.InvariantCulture)}", node.ProcessId)).ToArray();
        Meter = new ProcessMeter("gateway nodes", nodes.Select(node => node.ProcessId).ToArray(), withChildren: false);
    }

    public IReadOnlyList<GatewayProcess> Nodes => _nodes;

    public IReadOnlyList<IPEndPoint> Endpoints => _nodes.Select(node => node.Endpoint).ToArray();

    public string ApiKey { get; }

    /// <summary>Each node alone, in node order.</summary>
    public IReadOnlyList<ProcessMeter> Meters { get; }

    /// <summary>All nodes added up.</summary>
    public ProcessMeter Meter { get; }

    /// <summary>Why the nodes run without the budget asked for; null when they have it (or none was asked for).</summary>
    public string? LimitNote { get; }

    /// <summary>How long the quota held each node back so far (zeros without budgets).</summary>
    public IReadOnlyList<TimeSpan> ReadThrottled() =>
        _nodes.Select((_, i) => i < _limits.Count ? _limits[i].ReadThrottled() : TimeSpan.Zero).ToArray();

    /// <summary>Starts <paramref name="count"/> nodes one after the other, each answering <c>/health</c> before the next starts.</summary>
    /// <param name="nodeCores">Each node's CPU budget in cores; null for none.</param>
    public static async Task<GatewayNodes> StartAsync(
        string gatewayDll, int count, double? nodeCores, int maxSessions, bool keep, IReadOnlyList<KeyValuePair<string, string>> clusterSettings, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var apiKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var nodes = new List<GatewayProcess>();
        var limits = new List<CpuLimit>();
        string? limitNote = null;
        try
        {
            for (var i = 0; i < count; i++)
            {
                var node = await GatewayProcess.StartAsync(gatewayDll, maxSessions, keep, clusterSettings, apiKey, cancellationToken);
                nodes.Add(node);
                if (nodeCores is { } cores && limitNote is null)
                {
                    var name = $"gateway-load-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-{node.ProcessId.ToString(CultureInfo.InvariantCulture)}";
                    if (CpuLimit.TryCreate(name, cores, out var whyNot) is { } limit)
                    {
                        limits.Add(limit);
                        limit.Add(node.ProcessId);
                    }
                    else
                    {
                        limitNote = whyNot;
                    }
                }
            }

            return new GatewayNodes(nodes, limits, apiKey, limitNote);
        }
        catch
        {
            await StopAsync(nodes, limits);
            throw;
        }
    }

    /// <summary>
    /// The settings that make the processes one cluster: <paramref name="redis"/> for membership,
    /// <paramref name="postgres"/> for the store, and each node's own address (<c>{port}</c>) for forwarding.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Settings(string redis, string postgres, string clusterId) =>
    [
        new("Gateway:Storage:Provider", "Postgres"),
        new("Gateway:Storage:ConnectionString", postgres),
        new("Gateway:Cluster:Mode", "Redis"),
        new("Gateway:Cluster:ClusterId", clusterId),
        new("Gateway:Cluster:RedisConnectionString", redis),
        new("Gateway:Cluster:AdvertisedHttpUrl", "http://127.0.0.1:{port}/"),
    ];

    public async ValueTask DisposeAsync() => await StopAsync(_nodes, _limits);

    private static async Task StopAsync(List<GatewayProcess> nodes, List<CpuLimit> limits)
    {
        // All at once: one by one, each stopping node would hand its sessions to the next (graceful drain).
        await Task.WhenAll(nodes.Select(node => node.DisposeAsync().AsTask()));
        foreach (var limit in limits)
        {
            limit.Dispose();
        }
    }
}
