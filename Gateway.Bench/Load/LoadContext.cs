using System.Globalization;
using Gateway.Tests.Integration.Prosody;

namespace Gateway.Bench.Load;

/// <summary>What every scenario of one run shares: the options, the two servers, the meters, the phase numbers.</summary>
internal sealed class LoadContext
{
    private readonly PhaseCounter _phases;

    public LoadContext(LoadOptions options, ProsodyServer prosody, GatewayProcess? gateway, ResourceSampler sampler, ProcessMeter prosodyMeter, ProcessMeter? gatewayMeter, ProcessMeter toolMeter)
        : this(options, prosody, gateway, sampler, prosodyMeter, gatewayMeter, toolMeter, new PhaseCounter())
    {
    }

    private LoadContext(LoadOptions options, ProsodyServer prosody, GatewayProcess? gateway, ResourceSampler sampler, ProcessMeter prosodyMeter, ProcessMeter? gatewayMeter, ProcessMeter toolMeter, PhaseCounter phases)
    {
        Options = options;
        Prosody = prosody;
        Gateway = gateway;
        Sampler = sampler;
        ProsodyMeter = prosodyMeter;
        GatewayMeter = gatewayMeter;
        ToolMeter = toolMeter;
        Api = gateway is null ? null : new GatewayApi(gateway, prosody);
        _phases = phases;
    }

    /// <summary>
    /// The context of a cluster's phases: its nodes are the gateway (<paramref name="nodes"/> added up, each also
    /// metered alone), the shared store is metered too, and phase numbers go on from this run's.
    /// </summary>
    /// <param name="front">The API through the cluster's one address: what <see cref="RequireApi"/> gives in it.</param>
    /// <param name="options">The options its scenarios read, e.g. the cluster's own session count for <see cref="SessionScaleScenario"/>.</param>
    public LoadContext ForCluster(ResourceSampler sampler, ProcessMeter nodes, IReadOnlyList<ProcessMeter> eachNode, ProcessMeter store, GatewayApi front, LoadOptions options) =>
        new(options, Prosody, Gateway, sampler, ProsodyMeter, nodes, ToolMeter, _phases)
        {
            StoreMeter = store,
            NodeMeters = eachNode,
            Api = front,
        };

    public LoadOptions Options { get; }

    public ProsodyServer Prosody { get; }

    /// <summary>Null when no selected scenario needs the gateway.</summary>
    public GatewayProcess? Gateway { get; }

    public GatewayApi? Api { get; private init; }

    public ResourceSampler Sampler { get; }

    public ProcessMeter ProsodyMeter { get; }

    public ProcessMeter? GatewayMeter { get; }

    public ProcessMeter ToolMeter { get; }

    /// <summary>PostgreSQL and Redis, in a cluster's context.</summary>
    public ProcessMeter? StoreMeter { get; private init; }

    /// <summary>Each node of a cluster, in a cluster's context; empty otherwise.</summary>
    public IReadOnlyList<ProcessMeter> NodeMeters { get; private init; } = [];

    /// <summary>The gateway, or an exception naming the scenario that needed it.</summary>
    public GatewayProcess RequireGateway() => Gateway ?? throw new InvalidOperationException("The gateway is not running.");

    /// <summary>The REST helper, or an exception when the gateway is not running.</summary>
    public GatewayApi RequireApi() => Api ?? throw new InvalidOperationException("The gateway is not running.");

    /// <summary>A new phase number for message bodies (1-99: phases never see each other's messages).</summary>
    public int NextPhase()
    {
        var phase = Interlocked.Increment(ref _phases.Last);
        return phase <= MessageBody.MaxPhase ? phase : throw new InvalidOperationException($"More than {MessageBody.MaxPhase} phases in one run.");
    }

    public CpuSnapshot TakeCpuSnapshot() => CpuSnapshot.Take(GatewayMeter, ProsodyMeter, ToolMeter, StoreMeter, NodeMeters);

    /// <summary>A progress line on stderr (the report goes to stdout).</summary>
    public static void Progress(string line) =>
        Console.Error.WriteLine($"[{DateTime.UtcNow.ToString("HH:mm:ss", CultureInfo.InvariantCulture)}] {line}");

    /// <summary>The last phase number handed out, shared by a run's contexts.</summary>
    private sealed class PhaseCounter
    {
        public int Last;
    }
}
