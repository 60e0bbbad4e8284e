namespace Gateway.Bench.Load;

/// <summary>CPU used over <see cref="Wall"/> by each measured party; <see cref="Others"/> is everything else on the machine.</summary>
internal sealed record CpuUsage(TimeSpan Wall, TimeSpan Gateway, TimeSpan Prosody, TimeSpan Tool, TimeSpan Machine)
{
    /// <summary>PostgreSQL and Redis together, in a cluster run; zero otherwise.</summary>
    public TimeSpan Store { get; init; }

    /// <summary>Each gateway node's share of <see cref="Gateway"/>, in a cluster run; empty otherwise.</summary>
    public IReadOnlyList<TimeSpan> Nodes { get; init; } = [];

    /// <summary>CPU used by processes other than the measured ones (neighbours, the kernel's own threads).</summary>
    public TimeSpan Others => Machine - Gateway - Prosody - Tool - Store > TimeSpan.Zero ? Machine - Gateway - Prosody - Tool - Store : TimeSpan.Zero;

    /// <summary><paramref name="cpu"/> as cores busy on average (1.0 = one core fully used).</summary>
    public double Cores(TimeSpan cpu) => Wall > TimeSpan.Zero ? cpu / Wall : 0;

    /// <summary>Microseconds of <paramref name="cpu"/> per message, or null without messages.</summary>
    public static double? MicrosecondsPer(TimeSpan cpu, long messages) => messages > 0 ? cpu.TotalMicroseconds / messages : null;
}
