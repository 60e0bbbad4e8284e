using System.Globalization;
using Gateway.Tests.Integration.Postgres;
using Gateway.Tests.Integration.Redis;

namespace Gateway.Bench.Load.Cluster;

/// <summary>
/// Scenario <c>cluster</c>: the REST send of scenario <c>rest</c>, through one address (<see cref="RoundRobinFront"/>)
/// in front of 1, 2, … gateway nodes that share Redis and PostgreSQL, in one run, so that what one more node adds is
/// read side by side. Each topology gets fresh nodes, a fresh database and fresh accounts. Its sending sessions are
/// created through node i mod N (a session runs where it is created: PreferLocal placement), and HTTP connection j
/// sends for session j mod S, so the front's round robin sends most calls to a node that forwards them to the owner.
/// Each node may get a CPU budget of its own (<see cref="CpuLimit"/>), so that N nodes on this machine stand for N
/// small machines instead of competing for the same two cores.
/// </summary>
internal sealed class ClusterScenario
{
    public const string Name = "cluster";
    private readonly LoadContext _context;
    private readonly string _gatewayDll;

    public ClusterScenario(LoadContext context, string gatewayDll)
    {
        _context = context;
        _gatewayDll = gatewayDll;
    }

    private LoadOptions Options => _context.Options;

    /// <summary>Each topology's session scale figures, when <see cref="LoadOptions.ClusterScaleSessions"/> asked for them.</summary>
    public List<ClusterScaleResult> Scale { get; } = [];

    public async Task<IReadOnlyList<PhaseResult>> RunAsync(ICollection<string> problems, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(problems);
        LoadContext.Progress("  starting Redis and PostgreSQL");
        await using var redis = await RedisServer.StartAsync(cancellationToken);
        await using var postgres = await PostgresServer.StartAsync(cancellationToken);
        var store = new ProcessMeter(
            "PostgreSQL and Redis", [postgres.ProcessId ?? throw new InvalidOperationException("PostgreSQL is not running."), redis.ProcessId], withChildren: true);
        var results = new List<PhaseResult>();
        foreach (var nodeCount in Options.Nodes)
        {
            results.AddRange(await RunTopologyAsync(nodeCount, redis, postgres, store, problems, cancellationToken));
        }

        return results;
    }

    private async Task<IReadOnlyList<PhaseResult>> RunTopologyAsync(
        int nodeCount, RedisServer redis, PostgresServer postgres, ProcessMeter store, ICollection<string> problems, CancellationToken cancellationToken)
    {
        var topology = $"{nodeCount.ToString(CultureInfo.InvariantCulture)} node{(nodeCount == 1 ? "" : "s")}";
        LoadContext.Progress($"  {topology}{(Options.NodeCores is { } cores ? $", {cores.ToString("0.##", CultureInfo.InvariantCulture)} cores each" : "")}");
        var database = await postgres.CreateDatabaseAsync("load", cancellationToken);
        var settings = GatewayNodes.Settings(redis.ConnectionString, postgres.ConnectionString(database), $"load-{Guid.NewGuid():N}");
        await using var nodes = await GatewayNodes.StartAsync(
            _gatewayDll, nodeCount, Options.NodeCores, Options.ClusterSessions + Options.ClusterScaleSessions + 100, Options.Keep, [.. settings, .. Options.GatewaySettings], cancellationToken);
        if (nodes.LimitNote is { } note)
        {
            problems.Add($"Cluster, {topology}: the nodes ran without a CPU budget: {note}.");
        }

        await using var front = new RoundRobinFront(nodes.Endpoints);
        var accounts = await _context.Prosody.CreateAccountsAsync(Options.ClusterSessions + 1, $"cl{nodeCount.ToString(CultureInfo.InvariantCulture)}x", cancellationToken);
        await using var receiver = await XmppReceiver.ConnectAsync(_context.Prosody, accounts[0], cancellationToken);
        var sessionIds = await CreateSessionsAsync(nodes, accounts.Skip(1).ToArray(), nodeCount, cancellationToken);
        var sessionsPerNode = await CountLocalSessionsAsync(nodes, cancellationToken);
        if (sessionsPerNode.Sum() != sessionIds.Count)
        {
            throw new InvalidOperationException($"The nodes run {sessionsPerNode.Sum()} sessions between them ({string.Join(", ", sessionsPerNode)}), not the {sessionIds.Count} created.");
        }

        await using var sampler = new ResourceSampler([nodes.Meter, _context.ProsodyMeter, _context.ToolMeter]);
        using var frontApi = new GatewayApi(new Uri($"http://127.0.0.1:{front.Endpoint.Port.ToString(CultureInfo.InvariantCulture)}/"), nodes.ApiKey, _context.Prosody);
        var context = _context.ForCluster(sampler, nodes.Meter, nodes.Meters, store, frontApi, Options with { Sessions = Options.ClusterScaleSessions });
        if (Options.GatewayWarmup > TimeSpan.Zero)
        {
            await WarmUpAsync(context, front, nodes, sessionIds, receiver, cancellationToken);
        }

        var results = new List<PhaseResult>();
        foreach (var concurrency in Options.Concurrency)
        {
            var phase = context.NextPhase();
            var client = Client(front, nodes, sessionIds, receiver, phase);
            var connectionsBefore = front.ConnectionsPerNode;
            var throttledBefore = nodes.ReadThrottled();
            var (timing, delivery) = await RestPhase.RunAsync(context, client, receiver, phase, concurrency, cancellationToken);
            results.Add(new PhaseResult
            {
                Scenario = Name,
                Load = $"{topology}, c{concurrency.ToString(CultureInfo.InvariantCulture)}",
                Concurrency = concurrency,
                Timing = timing,
                Delivery = delivery,
                GatewayInvolved = true,
                Cluster = new ClusterShape(
                    nodeCount,
                    nodes.LimitNote is null ? Options.NodeCores : null,
                    sessionsPerNode,
                    front.ConnectionsPerNode.Zip(connectionsBefore, (after, before) => after - before).ToArray(),
                    nodes.ReadThrottled().Zip(throttledBefore, (after, before) => after - before).ToArray()),
            });
            LoadContext.Progress($"  {topology} c{concurrency}: {results[^1].DeliveredPerSecond:N0} delivered/s");
        }

        if (Options.ClusterScaleSessions > 0)
        {
            await MeasureScaleAsync(context, nodes, sessionsPerNode, problems, cancellationToken);
        }

        return results;
    }

    /// <summary>
    /// The scale scenario through the front (creates spread over the nodes by its round robin), then each node's
    /// memory and idle CPU with its share of the sessions: what sizes a node.
    /// </summary>
    private async Task MeasureScaleAsync(LoadContext context, GatewayNodes nodes, IReadOnlyList<int> sessionsBefore, ICollection<string> problems, CancellationToken cancellationToken)
    {
        var rssBefore = nodes.Meters.Select(meter => meter.ReadRssKib()).ToArray();
        try
        {
            var scale = await new SessionScaleScenario(context).RunAsync(fileLimit: 0, cancellationToken);
            Scale.Add(new ClusterScaleResult(
                nodes.Nodes.Count,
                scale,
                await CountLocalSessionsAsync(nodes, cancellationToken),
                sessionsBefore,
                rssBefore,
                nodes.Meters.Select(meter => meter.ReadRssKib()).ToArray()));
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            problems.Add($"Cluster, {nodes.Nodes.Count} node(s): session scale failed: {ex.GetType().Name}: {ex.Message.Split('\n')[0]}");
        }
    }

    /// <summary>Session i through node i mod N, and waits for each to be online (the create answers 201 then).</summary>
    private async Task<IReadOnlyList<string>> CreateSessionsAsync(GatewayNodes nodes, IReadOnlyList<Tests.Integration.Prosody.TestAccount> accounts, int nodeCount, CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        for (var i = 0; i < accounts.Count; i++)
        {
            using var api = new GatewayApi(nodes.Nodes[i % nodeCount], _context.Prosody);
            var id = $"cluster-{nodeCount.ToString(CultureInfo.InvariantCulture)}-{i.ToString(CultureInfo.InvariantCulture)}";
            await api.CreateSessionOrThrowAsync(id, accounts[i], cancellationToken);
            ids.Add(id);
        }

        return ids;
    }

    /// <summary>
    /// How many of the sessions each node runs: a clustered node lists the tenant's sessions from the shared store and
    /// shows the ones another node runs as <c>remote</c>.
    /// </summary>
    private async Task<IReadOnlyList<int>> CountLocalSessionsAsync(GatewayNodes nodes, CancellationToken cancellationToken)
    {
        var counts = new List<int>();
        foreach (var node in nodes.Nodes)
        {
            using var api = new GatewayApi(node, _context.Prosody);
            var states = await api.CountSessionStatesAsync(cancellationToken);
            counts.Add(states.Where(state => state.Key != "remote").Sum(state => state.Value));
        }

        return counts;
    }

    /// <summary>Unmeasured sends through the front at the highest concurrency, so that every node's JIT has settled.</summary>
    private async Task WarmUpAsync(LoadContext context, RoundRobinFront front, GatewayNodes nodes, IReadOnlyList<string> sessionIds, XmppReceiver receiver, CancellationToken cancellationToken)
    {
        var phase = context.NextPhase();
        var log = new DeliveryLog(phase);
        receiver.Track(log);
        var client = Client(front, nodes, sessionIds, receiver, phase);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(Options.GatewayWarmup);
        LoadContext.Progress($"  warm-up ({Options.GatewayWarmup.TotalSeconds:0.#} s, not measured)");
        await client.RunAsync(Options.Concurrency.Max(), log, new MeasurementWindow(), stop.Token);
        await PhaseRunner.DrainAsync(() => log.InFlight, Options.MaxDrain, cancellationToken);
    }

    /// <summary>
    /// Connection j sends for session j mod S: through the front, or (<c>--cluster-routing owner</c>) straight to the
    /// node that runs the session, as a balancer that knows the owner would.
    /// </summary>
    private HttpLoadClient Client(RoundRobinFront front, GatewayNodes nodes, IReadOnlyList<string> sessionIds, XmppReceiver receiver, int phase)
    {
        var body = $$"""{"to":"{{receiver.Account.Bare}}","type":"chat","body":"{{MessageBody.Create(phase, 0, 0)}}"}""";
        return new HttpLoadClient(sessionIds
            .Select((id, i) =>
            {
                var endpoint = Options.ClusterRoutingToOwner ? nodes.Endpoints[i % nodes.Nodes.Count] : front.Endpoint;
                return (endpoint, RequestTemplate.Post(
                    $"127.0.0.1:{endpoint.Port.ToString(CultureInfo.InvariantCulture)}",
                    $"/api/v1/sessions/{id}/messages",
                    "application/json",
                    body,
                    [new("X-Api-Key", nodes.ApiKey)]));
            })
            .ToArray());
    }
}
