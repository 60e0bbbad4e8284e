using System.Globalization;
using System.Text;

namespace Gateway.Bench.Load;

/// <summary>The markdown report of one run: machine, set-up, one table per kind of figure, baselines beside, problems last.</summary>
internal sealed class LoadReport
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public required LoadOptions Options { get; init; }

    public required MachineInfo Machine { get; init; }

    public required DateTime FinishedUtc { get; init; }

    public required string LoadAverageAtEnd { get; init; }

    /// <summary>What else used the CPU in the seconds after the run.</summary>
    public required string BusiestProcessesAtEnd { get; init; }

    public required (ulong Now, ulong Before) FileLimit { get; init; }

    public required IReadOnlyList<string> SetUp { get; init; }

    public required IReadOnlyList<PhaseResult> Phases { get; init; }

    public ScaleResult? Scale { get; init; }

    public string? ScaleNote { get; init; }

    /// <summary>The cluster scenario's session scale, per topology.</summary>
    public IReadOnlyList<Cluster.ClusterScaleResult> ClusterScale { get; init; } = [];

    /// <summary>Scenarios that failed, gateway log problems, receiver oddities.</summary>
    public required IReadOnlyList<string> Problems { get; init; }

    public string ToMarkdown()
    {
        var md = new StringBuilder();
        void Line(string text = "") => md.Append(text).Append('\n');

        Line($"### Run of {Machine.StartedUtc.ToString("yyyy-MM-dd HH:mm", Invariant)}–{FinishedUtc.ToString("HH:mm", Invariant)} UTC");
        Line();
        Line("| | |");
        Line("|---|---|");
        Line($"| Command | `dotnet run -c Release --project Gateway.Bench -- load{(Options.Arguments.Count > 0 ? " " + string.Join(' ', Options.Arguments) : "")}` |");
        Line($"| Machine | `nproc` = {Machine.Processors}, `lscpu` model name \"{Machine.CpuModel}\", kernel {Machine.Kernel} |");
        Line($"| Software | `dotnet --version` {Machine.Dotnet}; Prosody `{Machine.Prosody}` |");
        Line($"| Code | commit `{Machine.Commit}` |");
        Line($"| Load average (1, 5, 15 min) | at start {Machine.LoadAverageAtStart}; at end {LoadAverageAtEnd} |");
        Line($"| Other processes using the CPU (% of one core, over 2 s) | before the run: {Machine.BusiestProcesses}; after it: {BusiestProcessesAtEnd} |");
        Line($"| Open files limit | {FileLimit.Now.ToString("N0", Invariant)} for this tool, Prosody and the gateway (was {FileLimit.Before.ToString("N0", Invariant)}) |");
        Line($"| Phases | {Seconds(Options.Duration)} counted after {Seconds(Options.Warmup)} of warm-up; then up to {Seconds(Options.MaxDrain)} for stragglers |");
        Line();
        Line("Set-up:");
        Line();
        foreach (var item in SetUp)
        {
            Line("- " + item);
        }

        Line();
        WriteThroughput(Line);
        WriteComparison(Line);
        WriteFanout(Line);
        WriteCluster(Line);
        WriteClusterScale(Line);
        WriteScale(Line);

        Line("#### Problems and remarks");
        Line();
        if (Problems.Count == 0)
        {
            Line("None: every phase ran, nothing was missing or duplicated, the gateway logged no warning.");
        }

        foreach (var problem in Problems)
        {
            Line("- " + problem);
        }

        return md.ToString();
    }

    private void WriteThroughput(Action<string> line)
    {
        var rows = Phases.Where(p => p.Fanout is null && p.Scenario is not HubFanoutScenario.Name and not Cluster.ClusterScenario.Name).ToList();
        if (rows.Count == 0)
        {
            return;
        }

        line("#### Throughput");
        line("");
        line("| Scenario | Load | Delivered/s | Baseline | HTTP p50 / p99 (ms) | End-to-end p50 / p99 (ms) | Accepted | Missing | Dup. | Refused | Gateway µs/msg | Prosody µs/msg | Gateway peak RSS (MB) | CPU cores: gateway / Prosody / tool / others |");
        line("|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|");
        foreach (var phase in rows)
        {
            var baseline = Baselines.DeliveredPerSecond(phase.Scenario, phase.Concurrency);
            if (phase.Timing is not { } timing || phase.Delivery is not { } delivery)
            {
                line($"| {Title(phase.Scenario)} | {phase.Load} | {phase.Note ?? "n/a"} | {Count(baseline)} | | | | | | | | | | |");
                continue;
            }

            var cpu = timing.Cpu;
            var counted = phase.CountedInWindow ?? 0;
            line(
                $"| {Title(phase.Scenario)} | {phase.Load} | **{Count(phase.DeliveredPerSecond)}** | {Count(baseline)} " +
                $"| {Pair(timing.Sender.RequestLatency)} | {Pair(delivery.EndToEnd)} " +
                $"| {Count(delivery.Accepted)} | {Count(delivery.Missing)} | {Count(delivery.Duplicates)} | {Refused(timing.Sender)} " +
                $"| {(phase.GatewayInvolved ? Micro(CpuUsage.MicrosecondsPer(cpu.Gateway, counted)) : "–")} | {Micro(CpuUsage.MicrosecondsPer(cpu.Prosody, counted))} " +
                $"| {(phase.GatewayInvolved ? Megabytes(timing.GatewayPeakRssKib) : "–")} | {Cores(cpu)} |");
        }

        line("");
    }

    private void WriteComparison(Action<string> line)
    {
        var concurrencies = Phases.Where(p => p.Concurrency is not null).Select(p => p.Concurrency!.Value).Distinct().Order().ToList();
        var rest = Phases.Any(p => p.Scenario is GatewayRestScenario.QueuedName or GatewayRestScenario.WaitName && p.DeliveredPerSecond is not null);
        var modRest = Phases.Any(p => p.Scenario == ModRestScenario.Name && p.DeliveredPerSecond is not null);
        if (!rest || !modRest)
        {
            return;
        }

        line("#### Gateway against mod_rest, within this run");
        line("");
        line("| Concurrency | mod_rest delivered/s | Gateway | Gateway ÷ mod_rest | Gateway `?wait=server` | ÷ mod_rest | Baseline ratios (gateway, wait=server) |");
        line("|---:|---:|---:|---:|---:|---:|---|");
        foreach (var concurrency in concurrencies)
        {
            double? Rate(string scenario) => Phases.FirstOrDefault(p => p.Scenario == scenario && p.Concurrency == concurrency)?.DeliveredPerSecond;
            var peer = Rate(ModRestScenario.Name);
            var queued = Rate(GatewayRestScenario.QueuedName);
            var wait = Rate(GatewayRestScenario.WaitName);
            var peerBaseline = Baselines.DeliveredPerSecond(ModRestScenario.Name, concurrency);
            var baseline = peerBaseline is { } b
                ? $"{Ratio(Baselines.DeliveredPerSecond(GatewayRestScenario.QueuedName, concurrency), b)}, {Ratio(Baselines.DeliveredPerSecond(GatewayRestScenario.WaitName, concurrency), b)}"
                : "–";
            line($"| {concurrency} | {Count(peer)} | {Count(queued)} | {Ratio(queued, peer)} | {Count(wait)} | {Ratio(wait, peer)} | {baseline} |");
        }

        line("");
    }

    private void WriteFanout(Action<string> line)
    {
        var rows = Phases.Where(p => p.Scenario == HubFanoutScenario.Name).ToList();
        if (rows.Count == 0)
        {
            return;
        }

        line("#### Hub fan-out");
        line("");
        line("| Load | Messages sent | Deliveries/s | To the last subscriber p50 / p99 (ms) | Missing deliveries | Messages not everyone got | Dup. | Gateway µs/delivery | Gateway peak RSS (MB) | CPU cores: gateway / Prosody / tool / others |");
        line("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var phase in rows)
        {
            if (phase.Timing is not { } timing || phase.Fanout is not { } fanout)
            {
                line($"| {phase.Load} | {phase.Note ?? "n/a"} | | | | | | | | |");
                continue;
            }

            line(
                $"| {phase.Load} | {Count(fanout.Messages)} | **{Count(phase.DeliveredPerSecond)}** | {Pair(fanout.ToLastSubscriber)} | {Count(fanout.Missing)} " +
                $"| {Count(fanout.Incomplete)} | {Count(fanout.Duplicates)} | {Micro(CpuUsage.MicrosecondsPer(timing.Cpu.Gateway, fanout.DeliveredInWindow))} " +
                $"| {Megabytes(timing.GatewayPeakRssKib)} | {Cores(timing.Cpu)} |");
        }

        line("");
    }

    private void WriteCluster(Action<string> line)
    {
        var rows = Phases.Where(p => p.Scenario == Cluster.ClusterScenario.Name).ToList();
        if (rows.Count == 0)
        {
            return;
        }

        line("#### Cluster: REST sends through one address in front of N nodes");
        line("");
        line("| Nodes, load | Delivered/s | ÷ 1 node | HTTP p50 / p99 (ms) | End-to-end p50 / p99 (ms) | Accepted | Missing | Dup. | Refused | Gateway µs/msg (all nodes) | Store µs/msg | Prosody µs/msg | Sessions per node | Connections per node | CPU cores: each node / store / Prosody / tool / others | Held back by the quota, per node (s) |");
        line("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|---|---|---|");
        foreach (var phase in rows)
        {
            if (phase.Timing is not { } timing || phase.Delivery is not { } delivery || phase.Cluster is not { } shape)
            {
                line($"| {phase.Load} | {phase.Note ?? "n/a"} | | | | | | | | | | | | | | |");
                continue;
            }

            var cpu = timing.Cpu;
            var counted = phase.CountedInWindow ?? 0;
            var single = rows.FirstOrDefault(p => p.Cluster?.Nodes == 1 && p.Concurrency == phase.Concurrency)?.DeliveredPerSecond;
            var nodes = string.Join(" + ", cpu.Nodes.Select(n => cpu.Cores(n).ToString("0.00", Invariant)));
            line(
                $"| {phase.Load} | **{Count(phase.DeliveredPerSecond)}** | {(shape.Nodes == 1 ? "1.00" : Ratio(phase.DeliveredPerSecond, single))} " +
                $"| {Pair(timing.Sender.RequestLatency)} | {Pair(delivery.EndToEnd)} " +
                $"| {Count(delivery.Accepted)} | {Count(delivery.Missing)} | {Count(delivery.Duplicates)} | {Refused(timing.Sender)} " +
                $"| {Micro(CpuUsage.MicrosecondsPer(cpu.Gateway, counted))} | {Micro(CpuUsage.MicrosecondsPer(cpu.Store, counted))} | {Micro(CpuUsage.MicrosecondsPer(cpu.Prosody, counted))} " +
                $"| {string.Join(" / ", shape.SessionsPerNode)} | {string.Join(" / ", shape.ConnectionsPerNode)} " +
                string.Create(Invariant, $"| {nodes} / {cpu.Cores(cpu.Store):0.00} / {cpu.Cores(cpu.Prosody):0.00} / {cpu.Cores(cpu.Tool):0.00} / {cpu.Cores(cpu.Others):0.00} ") +
                $"| {(shape.NodeCores is null ? "no quota" : string.Join(" / ", shape.ThrottledPerNode.Select(t => t.TotalSeconds.ToString("0.0", Invariant))))} |");
        }

        line("");
        var budget = rows.Select(p => p.Cluster?.NodeCores).FirstOrDefault(c => c is not null);
        line(budget is { } cores
            ? $"Each node ran in its own cgroup with a CPU quota of {cores.ToString("0.##", Invariant)} cores; the store (PostgreSQL and its backends, Redis), Prosody and this tool (with the front) had no quota."
            : "The nodes ran without a CPU quota: they shared the machine's cores with the store, Prosody and this tool.");
        line("");
    }

    private void WriteClusterScale(Action<string> line)
    {
        if (ClusterScale.Count == 0)
        {
            return;
        }

        line("#### Cluster: sessions per node");
        line("");
        line("| Nodes | Sessions created through the front | Online | Time until all were online | Sessions per node | RSS per node before → after the idle period (MB) | MB per 1,000 sessions (each node) | Idle CPU per node over " + Seconds(Options.Idle) + " (% of one core) | Store idle CPU (% of one core) | CPU per session created: all nodes / store / Prosody (ms) |");
        line("|---:|---:|---:|---:|---|---|---|---|---:|---|");
        foreach (var result in ClusterScale)
        {
            var scale = result.Scale;
            var idle = scale.IdleCpu;
            var perThousand = result.SessionsPerNode.Select((sessions, i) => sessions - result.SessionsBeforePerNode[i] is var added and > 0
                ? ((result.RssAfterIdleKib[i] - result.RssBeforeKib[i]) / 1024.0 / added * 1000).ToString("0.0", Invariant)
                : "–");
            var idlePerNode = idle is null ? "–" : string.Join(" / ", idle.Nodes.Select(n => Percent(idle.Cores(n))));
            line(
                $"| {result.Nodes} | {Count(scale.Requested)} | {Count(scale.Created)} | {scale.TimeToOnline.TotalSeconds.ToString("N1", Invariant)} s " +
                $"| {string.Join(" / ", result.SessionsPerNode)} " +
                $"| {string.Join(" / ", result.RssBeforeKib.Zip(result.RssAfterIdleKib, (before, after) => $"{Megabytes(before)} → {Megabytes(after)}"))} " +
                $"| {string.Join(" / ", perThousand)} | {idlePerNode} | {Percent(idle is null ? null : idle.Cores(idle.Store))} " +
                $"| {Milli(CpuUsage.MicrosecondsPer(scale.CreateCpu.Gateway, scale.Created))} / {Milli(CpuUsage.MicrosecondsPer(scale.CreateCpu.Store, scale.Created))} / {Milli(CpuUsage.MicrosecondsPer(scale.CreateCpu.Prosody, scale.Created))} |");
        }

        line("");
    }

    private void WriteScale(Action<string> line)
    {
        if (Scale is null && ScaleNote is null)
        {
            return;
        }

        line("#### Session scale");
        line("");
        if (Scale is not { } scale)
        {
            line(ScaleNote!);
            line("");
            return;
        }

        var idle = scale.IdleCpu;
        line("| Figure | This run | Baseline |");
        line("|---|---:|---:|");
        line($"| Sessions online (of {Count(scale.Requested)} created through the API, {Options.CreateConcurrency} at a time) | **{Count(scale.Created)}** | {Count(Baselines.ScaleSessions)} |");
        line($"| Time until all were online | **{scale.TimeToOnline.TotalSeconds.ToString("N1", Invariant)} s** | {Baselines.ScaleSecondsToOnline.ToString("N0", Invariant)} s |");
        line($"| Sessions online per second | {Count(scale.Created / scale.TimeToOnline.TotalSeconds)} | {Count(Baselines.ScaleSessions / Baselines.ScaleSecondsToOnline)} |");
        line($"| Create request p50 / p99 (ms) | {Pair(scale.CreateLatency)} | |");
        line($"| Gateway RSS right after / after the idle period (MB) | **{Megabytes(scale.GatewayRssAfterKib)}** / {Megabytes(scale.GatewayRssAfterIdleKib)} | {Baselines.ScaleRssMegabytes.ToString("N0", Invariant)} |");
        line($"| Gateway peak RSS over the whole run (VmHWM, MB) | {Megabytes(scale.GatewayHwmKib)} | |");
        line($"| Gateway idle CPU over {Seconds(Options.Idle)} (% of one core) | **{Percent(idle is null ? null : idle.Cores(idle.Gateway))}** | {Baselines.ScaleIdlePercentOfCore.ToString("N0", Invariant)}% |");
        line($"| Prosody idle CPU (% of one core) / RSS (MB) | {Percent(idle is null ? null : idle.Cores(idle.Prosody))} / {Megabytes(scale.ProsodyRssKib)} | |");
        line($"| CPU per session created: gateway / Prosody (ms) | {Milli(CpuUsage.MicrosecondsPer(scale.CreateCpu.Gateway, scale.Created))} / {Milli(CpuUsage.MicrosecondsPer(scale.CreateCpu.Prosody, scale.Created))} | |");
        line($"| CPU cores while creating: gateway / Prosody / tool / others | {Cores(scale.CreateCpu)} | |");
        line($"| Sessions by state afterwards (GET /api/v1/sessions) | {string.Join(", ", scale.States.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key} {Count(s.Value)}"))} | |");
        if (scale.Failures.Count > 0)
        {
            line($"| Failed creates | {string.Join("; ", scale.Failures.OrderByDescending(f => f.Value).Select(f => $"{f.Key} ×{Count(f.Value)}"))} | |");
        }

        line("");
    }

    public static string Title(string scenario) => scenario switch
    {
        RawC2sScenario.Name => "Raw c2s (Prosody alone)",
        ModRestScenario.Name => "mod_rest",
        GatewayRestScenario.QueuedName => "Gateway REST",
        GatewayRestScenario.WaitName => "Gateway REST `?wait=server`",
        BatchScenario.Name => "Gateway batch",
        HubInboundScenario.Name => "SignalR inbound",
        HubFanoutScenario.Name => "Hub fan-out",
        SessionScaleScenario.Name => "Session scale",
        Cluster.ClusterScenario.Name => "Cluster (N nodes behind one address)",
        _ => scenario,
    };

    private static string Count(double? value) => value is { } v ? v.ToString("N0", Invariant) : "–";

    private static string Seconds(TimeSpan value) => value.TotalSeconds.ToString("0.#", Invariant) + " s";

    private static string Ratio(double? value, double? reference) =>
        value is { } v && reference is { } r && r > 0 ? (v / r).ToString("0.00", Invariant) : "–";

    private static string Percent(double? cores) => cores is { } c ? (c * 100).ToString("0.0", Invariant) + "%" : "–";

    private static string Micro(double? microseconds) => microseconds is { } us ? us.ToString(us < 100 ? "0.0" : "N0", Invariant) : "–";

    private static string Milli(double? microseconds) => microseconds is { } us ? (us / 1000).ToString("0.00", Invariant) : "–";

    private static string Megabytes(long kib) => kib > 0 ? (kib / 1024.0).ToString("N0", Invariant) : "–";

    private static string Millis(double? microseconds) => microseconds switch
    {
        null => "–",
        < 10_000 => (microseconds.Value / 1000).ToString("0.00", Invariant),
        < 100_000 => (microseconds.Value / 1000).ToString("0.0", Invariant),
        _ => (microseconds.Value / 1000).ToString("N0", Invariant),
    };

    private static string Pair(LatencyHistogram? histogram) =>
        histogram is null || histogram.Count == 0 ? "–" : $"{Millis(histogram.Percentile(50))} / {Millis(histogram.Percentile(99))}";

    /// <summary>What the Refused column says of a sender: refused or unanswered requests, refused messages, bounces; "0" for none.</summary>
    public static string Refused(SenderReport sender)
    {
        ArgumentNullException.ThrowIfNull(sender);
        var parts = new List<string>();
        if (sender.FailedStatuses.Length > 0)
        {
            parts.Add(sender.FailedStatuses);
        }

        if (sender.RefusedMessages.Count > 0)
        {
            // Inside 2xx answers (a batch's results): messages, not requests.
            parts.Add("msgs " + string.Join(", ", sender.RefusedMessages.OrderBy(s => s.Key).Select(s => $"{s.Key}×{Count(s.Value)}")));
        }

        if (sender.TransportErrors > 0)
        {
            parts.Add($"{sender.TransportErrors} without answer");
        }

        if (sender.UnreadableAnswers > 0)
        {
            parts.Add($"{sender.UnreadableAnswers} unreadable answers");
        }

        if (sender.ErrorStanzas > 0)
        {
            parts.Add($"{sender.ErrorStanzas} bounced");
        }

        return parts.Count == 0 ? "0" : string.Join(", ", parts);
    }

    private static string Cores(CpuUsage cpu) =>
        string.Create(Invariant, $"{cpu.Cores(cpu.Gateway):0.00} / {cpu.Cores(cpu.Prosody):0.00} / {cpu.Cores(cpu.Tool):0.00} / {cpu.Cores(cpu.Others):0.00}");
}
