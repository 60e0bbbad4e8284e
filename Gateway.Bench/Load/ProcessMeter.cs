using System.Globalization;
using System.Runtime.InteropServices;

namespace Gateway.Bench.Load;

/// <summary>
/// CPU time and memory of one process, read from procfs: utime + stime from <c>/proc/&lt;pid&gt;/stat</c>, VmRSS
/// and VmHWM from <c>/proc/&lt;pid&gt;/status</c>.
/// </summary>
internal sealed class ProcessMeter
{
    private const int ScClkTck = 2; // sysconf(_SC_CLK_TCK) on Linux
    private static readonly long s_ticksPerSecond = ReadClockTicks();
    private readonly string _statPath;
    private readonly string _statusPath;

    public ProcessMeter(string name, int processId)
    {
        Name = name;
        ProcessId = processId;
        _statPath = $"/proc/{processId.ToString(CultureInfo.InvariantCulture)}/stat";
        _statusPath = $"/proc/{processId.ToString(CultureInfo.InvariantCulture)}/status";
    }

    public string Name { get; }

    public int ProcessId { get; }

    /// <summary>User + system CPU time so far; zero once the process is gone.</summary>
    public TimeSpan ReadCpu()
    {
        string stat;
        try
        {
            stat = File.ReadAllText(_statPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return TimeSpan.Zero;
        }

        // The command name (field 2) is in parentheses and may hold spaces: fields are counted after the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds((double)ticks / s_ticksPerSecond);
    }

    /// <summary>Resident set size now, in KiB (0 once the process is gone).</summary>
    public long ReadRssKib() => ReadStatusKib("VmRSS:");

    /// <summary>The peak resident set size over the process's life (VmHWM), in KiB.</summary>
    public long ReadPeakRssKib() => ReadStatusKib("VmHWM:");

    private long ReadStatusKib(string key)
    {
        try
        {
            foreach (var line in File.ReadLines(_statusPath))
            {
                if (line.StartsWith(key, StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan(key.Length).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }

        return 0;
    }

    /// <summary>Busy CPU time of the whole machine (all cores: everything but idle and iowait) from /proc/stat.</summary>
    public static TimeSpan ReadMachineBusy()
    {
        // "cpu  user nice system idle iowait irq softirq steal guest guest_nice"
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long busy = 0;
        for (var i = 1; i <= 8 && i < fields.Length; i++)
        {
            if (i is not 4 and not 5)
            {
                busy += long.Parse(fields[i], CultureInfo.InvariantCulture);
            }
        }

        return TimeSpan.FromSeconds((double)busy / s_ticksPerSecond);
    }

    private static long ReadClockTicks()
    {
        var ticks = SysConf(ScClkTck);
        return ticks > 0 ? ticks : 100;
    }

    // DllImport, like ProsodyServer's kill(2): LibraryImport's stub needs AllowUnsafeBlocks.
    [DllImport("libc", EntryPoint = "sysconf")]
    private static extern long SysConf(int name);
}
