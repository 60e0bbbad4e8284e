using System.Globalization;

namespace Gateway.Bench.Load;

/// <summary>The load tool's command line: <c>load [options]</c>. Every figure has a default; <c>--quick</c> makes a smoke run.</summary>
internal sealed record LoadOptions
{
    public static readonly IReadOnlyList<string> AllScenarios = ["raw", "modrest", "rest", "rest-wait", "batch", "inbound", "fanout", "cluster", "scale"];

    /// <summary>What runs without <c>--scenarios</c>: all but <c>cluster</c>, which starts its own Redis, PostgreSQL and nodes.</summary>
    public static readonly IReadOnlyList<string> DefaultScenarios = [.. AllScenarios.Where(s => s != "cluster")];

    public const string Usage = """
        Usage: dotnet run -c Release --project Gateway.Bench -- load [options]

        Starts a private Prosody 0.12 (plaintext loopback, internal_plain unless --prosody-auth, mod_rest) and the gateway as a separate
        process, runs the scenarios one after the other and writes a markdown report.

          --scenarios LIST        comma-separated, in any order; default all but cluster:
                                  raw, modrest, rest, rest-wait, batch, inbound, fanout, scale;
                                  cluster: the rest scenario through one address in front of 1, 2, …
                                  gateway nodes on Redis and PostgreSQL (see --nodes)
          --duration SECONDS      counted part of each phase (default 15)
          --warmup SECONDS        uncounted start of each phase (default 3)
          --drain SECONDS         longest wait for stragglers after a phase (default 60)
          --gateway-warmup SECONDS
                                  unmeasured warm-up of the gateway's hot paths, once, right after it
                                  started, so that its JIT has settled before any phase (default 20; 0: none)
          --concurrency LIST      HTTP connections for modrest/rest/rest-wait (default 1,16,64)
          --window N              messages in flight for "as fast as possible" XMPP senders (default 2000)
          --batch-size N          messages per batch request (default 100)
          --batch-concurrency N   batch requests in flight (default 4)
          --request-receipts B    true (default) or false: the rest, rest-wait and batch messages are sent with
                                  "requestReceipts": false (no receipt request, no markable), and the raw
                                  scenario's second phase sends that stanza
          --inbound-rates LIST    inbound send rates per second, "max" = as fast as possible (default max,1000,10000)
          --subscribers N         SignalR connections for fan-out (default 1000)
          --fanout-interval MS    one message every MS milliseconds in fan-out (default 20)
          --fanout-client KIND    raw (default: the JSON hub protocol on a plain WebSocket, cheap) or
                                  official (Microsoft.AspNetCore.SignalR.Client)
          --nodes LIST            node counts for the cluster scenario, one topology each (default 1,2)
          --node-cpu CORES        each cluster node's CPU budget in cores, through a cgroup quota
                                  (default 0.25; 0: none, the nodes share the machine's cores)
          --cluster-sessions N    sending sessions in the cluster scenario (default 8)
          --cluster-routing KIND  front (default: every call through the one address) or owner (each
                                  connection straight to the node that runs its session: no forwarding)
          --cluster-scale N       after each topology's phases, N more sessions created through the front,
                                  then each node's memory and idle CPU over --idle (default 0: none)
          --sessions N            sessions for the scale scenario (default 10000)
          --create-concurrency N  concurrent session creates (default 64)
          --idle SECONDS          idle CPU measurement after the sessions are online (default 300:
                                  longer than the 5-minute keepalive, so every session pings once in it)
          --quick                 smoke run: 3 s phases, 1 s warm-up, 5 s gateway warm-up, 10 s drain,
                                  100 subscribers, 200 sessions, 5 s idle (explicit options still win)
          --mod-rest PATH         mod_rest's folder (default <repo>/../shared/peers/mod_rest)
          --gateway-dll PATH      Gateway.Api.dll (default <repo>/Gateway.Api/bin/Release/net10.0/Gateway.Api.dll)
          --no-build              do not build Gateway.Api first
          --output FILE           report file (default <repo>/BenchmarkDotNet.Artifacts/load/load-<utc time>.md)
          --prosody-log LEVEL     Prosody's log level (default warn)
          --prosody-auth STORE    Prosody's account store: internal_plain (default; mod_rest's fastest, but every
                                  SCRAM login derives its keys on both sides) or internal_hashed (Prosody's own
                                  default: SCRAM keys stored, for the scale scenario as servers run it)
          --keep                  keep the gateway's store and log directory after the run
          --gateway-setting K=V   a configuration key for the gateway, e.g. Gateway:Pool:AcknowledgementDelay=00:00:00
                                  (repeatable; given to it as the environment variable Gateway__Pool__…)
        """;

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(15);

    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(3);

    public TimeSpan MaxDrain { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The gateway's one-time warm-up (<see cref="GatewayWarmup"/>); zero for none.</summary>
    public TimeSpan GatewayWarmup { get; init; } = TimeSpan.FromSeconds(20);

    public IReadOnlyList<string> Scenarios { get; init; } = DefaultScenarios;

    /// <summary>Node counts of the cluster scenario, one topology each.</summary>
    public IReadOnlyList<int> Nodes { get; init; } = [1, 2];

    /// <summary>Each cluster node's CPU budget in cores; null for none.</summary>
    public double? NodeCores { get; init; } = 0.25;

    /// <summary>Sending sessions in the cluster scenario.</summary>
    public int ClusterSessions { get; init; } = 8;

    /// <summary>The cluster scenario's connections go straight to their session's node instead of through the front.</summary>
    public bool ClusterRoutingToOwner { get; init; }

    /// <summary>Sessions the cluster scenario creates per topology for its scale figures; 0 for none.</summary>
    public int ClusterScaleSessions { get; init; }

    public IReadOnlyList<int> Concurrency { get; init; } = [1, 16, 64];

    public int Window { get; init; } = 2000;

    public int BatchSize { get; init; } = 100;

    public int BatchConcurrency { get; init; } = 4;

    /// <summary>False: the rest, rest-wait and batch messages are sent with <c>requestReceipts: false</c>.</summary>
    public bool RequestReceipts { get; init; } = true;

    /// <summary>Null stands for "as fast as possible".</summary>
    public IReadOnlyList<double?> InboundRates { get; init; } = [null, 1000, 10000];

    public int Subscribers { get; init; } = 1000;

    public TimeSpan FanoutInterval { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Fan-out subscribers use Microsoft.AspNetCore.SignalR.Client instead of <see cref="RawHubSubscriber"/>.</summary>
    public bool FanoutOfficialClient { get; init; }

    public int Sessions { get; init; } = 10_000;

    public int CreateConcurrency { get; init; } = 64;

    /// <summary>Longer than the keepalive ping interval (5 minutes), so every idle session pings once within it.</summary>
    public TimeSpan Idle { get; init; } = TimeSpan.FromSeconds(300);

    public bool Quick { get; init; }

    public string? ModRestPath { get; init; }

    public string? GatewayDll { get; init; }

    public bool NoBuild { get; init; }

    public string? Output { get; init; }

    public string ProsodyLogLevel { get; init; } = "warn";

    /// <summary>Prosody's <c>authentication</c> setting: <c>internal_plain</c> or <c>internal_hashed</c>.</summary>
    public string ProsodyAuthentication { get; init; } = "internal_plain";

    public bool Keep { get; init; }

    /// <summary>Configuration keys (<c>Gateway:…</c>) and values for the gateway, on top of the tool's own.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> GatewaySettings { get; init; } = [];

    /// <summary>The arguments as given, for the report.</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    public bool Runs(string scenario) => Scenarios.Contains(scenario);

    /// <summary>Parses the arguments after <c>load</c>.</summary>
    /// <exception cref="ArgumentException">An unknown option or a bad value; the message says which.</exception>
    public static LoadOptions Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var quick = args.Contains("--quick");
        var options = quick
            ? new LoadOptions
            {
                Quick = true,
                Duration = TimeSpan.FromSeconds(3),
                Warmup = TimeSpan.FromSeconds(1),
                GatewayWarmup = TimeSpan.FromSeconds(5),
                MaxDrain = TimeSpan.FromSeconds(10),
                Subscribers = 100,
                Sessions = 200,
                Idle = TimeSpan.FromSeconds(5),
            }
            : new LoadOptions();
        options = options with { Arguments = args.ToArray() };
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{name} needs a value.");
            options = name switch
            {
                "--quick" => options,
                "--no-build" => options with { NoBuild = true },
                "--keep" => options with { Keep = true },
                "--scenarios" => options with { Scenarios = ParseScenarios(Value()) },
                "--duration" => options with { Duration = Seconds(name, Value(), min: 1) },
                "--warmup" => options with { Warmup = Seconds(name, Value(), min: 0) },
                "--drain" => options with { MaxDrain = Seconds(name, Value(), min: 1) },
                "--gateway-warmup" => options with { GatewayWarmup = Seconds(name, Value(), min: 0) },
                "--concurrency" => options with { Concurrency = Value().Split(',').Select(v => Integer(name, v, 1, 4096)).ToArray() },
                "--window" => options with { Window = Integer(name, Value(), 1, 1_000_000) },
                "--batch-size" => options with { BatchSize = Integer(name, Value(), 1, 10_000) },
                "--batch-concurrency" => options with { BatchConcurrency = Integer(name, Value(), 1, 1024) },
                "--request-receipts" => options with { RequestReceipts = Either(name, Value(), whenFalse: "false", whenTrue: "true") },
                "--inbound-rates" => options with { InboundRates = Value().Split(',').Select(v => v == "max" ? (double?)null : Integer(name, v, 1, 1_000_000)).ToArray() },
                "--subscribers" => options with { Subscribers = Integer(name, Value(), 1, 100_000) },
                "--fanout-interval" => options with { FanoutInterval = TimeSpan.FromMilliseconds(Integer(name, Value(), 1, 60_000)) },
                "--fanout-client" => options with { FanoutOfficialClient = Either(name, Value(), whenFalse: "raw", whenTrue: "official") },
                "--nodes" => options with { Nodes = Value().Split(',').Select(v => Integer(name, v, 1, 16)).ToArray() },
                "--node-cpu" => options with { NodeCores = Cores(name, Value()) },
                "--cluster-sessions" => options with { ClusterSessions = Integer(name, Value(), 1, 1_000) },
                "--cluster-routing" => options with { ClusterRoutingToOwner = Either(name, Value(), whenFalse: "front", whenTrue: "owner") },
                "--cluster-scale" => options with { ClusterScaleSessions = Integer(name, Value(), 0, 1_000_000) },
                "--sessions" => options with { Sessions = Integer(name, Value(), 1, 1_000_000) },
                "--create-concurrency" => options with { CreateConcurrency = Integer(name, Value(), 1, 4096) },
                "--idle" => options with { Idle = Seconds(name, Value(), min: 1) },
                "--mod-rest" => options with { ModRestPath = Path.GetFullPath(Value()) },
                "--gateway-dll" => options with { GatewayDll = Path.GetFullPath(Value()) },
                "--output" => options with { Output = Path.GetFullPath(Value()) },
                "--prosody-log" => options with { ProsodyLogLevel = Value() },
                "--prosody-auth" => options with { ProsodyAuthentication = AccountStore(name, Value()) },
                "--gateway-setting" => options with { GatewaySettings = [.. options.GatewaySettings, GatewaySetting(Value())] },
                _ => throw new ArgumentException($"Unknown option '{name}'."),
            };
        }

        return options;
    }

    private static string AccountStore(string name, string value) =>
        value is "internal_plain" or "internal_hashed" ? value : throw new ArgumentException($"{name} must be internal_plain or internal_hashed, not '{value}'.");

    private static KeyValuePair<string, string> GatewaySetting(string value)
    {
        var equals = value.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0 || !value.StartsWith("Gateway:", StringComparison.Ordinal))
        {
            throw new ArgumentException($"--gateway-setting takes Gateway:Section:Key=value, not '{value}'.");
        }

        return new(value[..equals], value[(equals + 1)..]);
    }

    private static IReadOnlyList<string> ParseScenarios(string value)
    {
        var chosen = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var scenario in chosen)
        {
            if (!AllScenarios.Contains(scenario))
            {
                throw new ArgumentException($"Unknown scenario '{scenario}'; known: {string.Join(", ", AllScenarios)}.");
            }
        }

        // Always in the canonical order: scale last, since it leaves thousands of sessions behind.
        return AllScenarios.Where(chosen.Contains).ToArray();
    }

    /// <summary>One of two words: false for <paramref name="whenFalse"/>, true for <paramref name="whenTrue"/>.</summary>
    private static bool Either(string name, string value, string whenFalse, string whenTrue) =>
        value == whenTrue || (value == whenFalse ? false : throw new ArgumentException($"{name} must be {whenFalse} or {whenTrue}, not '{value}'."));

    private static double? Cores(string name, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var cores) && cores >= 0 && cores <= 64
            ? (cores == 0 ? null : cores)
            : throw new ArgumentException($"{name} must be a number of cores from 0 (none) to 64, not '{value}'.");

    private static TimeSpan Seconds(string name, string value, double min) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= min
            ? TimeSpan.FromSeconds(seconds)
            : throw new ArgumentException($"{name} must be a number of seconds ≥ {min.ToString(CultureInfo.InvariantCulture)}, not '{value}'.");

    private static int Integer(string name, string value, int min, int max) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max
            ? number
            : throw new ArgumentException($"{name} must be an integer from {min} to {max}, not '{value}'.");
}
