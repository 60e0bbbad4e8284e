namespace Gateway.Bench.Load;

/// <summary>The figures of one phase, or why it has none.</summary>
internal sealed record PhaseResult
{
    /// <summary>The scenario's key (<see cref="LoadOptions.AllScenarios"/>).</summary>
    public required string Scenario { get; init; }

    /// <summary>What load the phase applied, e.g. <c>c16</c>, <c>1,000/s</c>.</summary>
    public required string Load { get; init; }

    /// <summary>HTTP connections, for phases that have them (matches baselines and mod_rest rows).</summary>
    public int? Concurrency { get; init; }

    public PhaseTiming? Timing { get; init; }

    public DeliverySummary? Delivery { get; init; }

    public FanoutSummary? Fanout { get; init; }

    /// <summary>The cluster the phase ran on (scenario <c>cluster</c>); null for the single gateway.</summary>
    public Cluster.ClusterShape? Cluster { get; init; }

    /// <summary>Whether the gateway is on the message path (its CPU per message is meaningful).</summary>
    public bool GatewayInvolved { get; init; }

    /// <summary>Why there are no figures (endpoint missing, failure), or a remark on them.</summary>
    public string? Note { get; init; }

    /// <summary>Messages (fan-out: deliveries) first received inside the window, per second of window.</summary>
    public double? DeliveredPerSecond =>
        Timing is { } timing && timing.Window.Duration > TimeSpan.Zero && CountedInWindow is { } counted
            ? counted / timing.Window.Duration.TotalSeconds
            : null;

    /// <summary>What CPU per message is divided by: receipts inside the window.</summary>
    public long? CountedInWindow => Delivery?.DeliveredInWindow ?? Fanout?.DeliveredInWindow;

    public static PhaseResult NotRun(string scenario, string load, string note, int? concurrency = null) =>
        new() { Scenario = scenario, Load = load, Note = note, Concurrency = concurrency };
}
