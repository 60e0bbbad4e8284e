using System.Diagnostics;

namespace Gateway.Bench.Load;

/// <summary>CPU time used so far by the gateway, Prosody, this tool and the whole machine, at one instant.</summary>
internal sealed record CpuSnapshot(long Timestamp, TimeSpan Gateway, TimeSpan Prosody, TimeSpan Tool, TimeSpan Machine)
{
    public static CpuSnapshot Take(ProcessMeter? gateway, ProcessMeter prosody, ProcessMeter tool)
    {
        ArgumentNullException.ThrowIfNull(prosody);
        ArgumentNullException.ThrowIfNull(tool);
        return new(
            Stopwatch.GetTimestamp(),
            gateway?.ReadCpu() ?? TimeSpan.Zero,
            prosody.ReadCpu(),
            tool.ReadCpu(),
            ProcessMeter.ReadMachineBusy());
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
            Machine - start.Machine);
    }
}
