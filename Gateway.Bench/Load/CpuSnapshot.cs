using System.Diagnostics;

namespace Gateway.Bench.Load;

/// <summary>
/// CPU time used so far by the gateway, Prosody, this tool and the whole machine, at one instant; in a cluster run
/// also by the shared store (PostgreSQL and Redis) and by each gateway node (<see cref="Gateway"/> is their sum).
/// </summary>
internal sealed record CpuSnapshot(long Timestamp, TimeSpan Gateway, TimeSpan Prosody, TimeSpan Tool, TimeSpan Machine)
{
    /// <summary>PostgreSQL and Redis together; zero when neither runs.</summary>
    public TimeSpan Store { get; init; }

    /// <summary>Each gateway node's, in node order; empty outside a cluster run.</summary>
    public IReadOnlyList<TimeSpan> Nodes { get; init; } = [];

    public static CpuSnapshot Take(ProcessMeter? gateway, ProcessMeter prosody, ProcessMeter tool, ProcessMeter? store = null, IReadOnlyList<ProcessMeter>? nodes = null)
    {
        ArgumentNullException.ThrowIfNull(prosody);
        ArgumentNullException.ThrowIfNull(tool);
        return new(
            Stopwatch.GetTimestamp(),
            gateway?.ReadCpu() ?? TimeSpan.Zero,
            prosody.ReadCpu(),
            tool.ReadCpu(),
            ProcessMeter.ReadMachineBusy())
        {
            Store = store?.ReadCpu() ?? TimeSpan.Zero,
            Nodes = nodes?.Select(node => node.ReadCpu()).ToArray() ?? [],
        };
    }

    /// <summary>What was used between <paramref name="start"/> and this snapshot.</summary>
    public CpuUsage Since(CpuSnapshot start)
    {
        ArgumentNullException.ThrowIfNull(start);
        return new(
            Stopwatch.GetElapsedTime(start.Timestamp, Timestamp),
            Gateway - start.Gateway,
            Prosody - start.Prosody,
            Tool - start.Tool,
            Machine - start.Machine)
        {
            Store = Store - start.Store,
            Nodes = Nodes.Zip(start.Nodes, (end, begin) => end - begin).ToArray(),
        };
    }
}
