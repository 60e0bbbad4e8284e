using System.Globalization;
using System.Runtime.InteropServices;

namespace Gateway.Bench.Load;

/// <summary>
/// CPU time and memory of one process, or of a group of them added up (the nodes of a cluster; a server and the
/// children it forks per connection, like PostgreSQL's backends), read from procfs: utime + stime from
/// <c>/proc/&lt;pid&gt;/stat</c>, VmRSS and VmHWM from <c>/proc/&lt;pid&gt;/status</c>.
/// </summary>
internal sealed class ProcessMeter
{
    private const int ScClkTck = 2; // sysconf(_SC_CLK_TCK) on Linux
    private static readonly long s_ticksPerSecond = ReadClockTicks();
    private readonly int[] _processIds;
    private readonly bool _withChildren;

    public ProcessMeter(string name, int processId)
        : this(name, [processId], withChildren: false)
    {
    }

    /// <param name="name">What the report calls it.</param>
    /// <param name="processIds">The processes, added up.</param>
    /// <param name="withChildren">
    /// Also count their children: the live ones, and through the parent's cutime/cstime those that ended and were
    /// waited for. RSS stays the listed processes' own.
    /// </param>
    public ProcessMeter(string name, IReadOnlyList<int> processIds, bool withChildren)
    {
        ArgumentNullException.ThrowIfNull(processIds);
        ArgumentOutOfRangeException.ThrowIfZero(processIds.Count);
        Name = name;
        _processIds = [.. processIds];
        _withChildren = withChildren;
    }

    public string Name { get; }

    /// <summary>The first (or only) process.</summary>
    public int ProcessId => _processIds[0];

    /// <summary>User + system CPU time so far; a process that is gone counts zero.</summary>
    public TimeSpan ReadCpu()
    {
        long ticks = 0;
        foreach (var processId in _processIds)
        {
            if (ReadStatFields(processId) is not { } fields)
            {
                continue;
            }

            ticks += Field(fields, 11) + Field(fields, 12);
            if (_withChildren)
            {
                ticks += Field(fields, 13) + Field(fields, 14) + ReadLiveChildrenTicks(processId);
            }
        }

        return TimeSpan.FromSeconds((double)ticks / s_ticksPerSecond);
    }

    /// <summary>Resident set size now, in KiB (0 once the process is gone).</summary>
    public long ReadRssKib() => _processIds.Sum(id => ReadStatusKib(id, "VmRSS:"));

    /// <summary>The peak resident set size over the process's life (VmHWM), in KiB; a group's is the sum of each one's peak.</summary>
    public long ReadPeakRssKib() => _processIds.Sum(id => ReadStatusKib(id, "VmHWM:"));

    /// <summary>The fields of <c>/proc/pid/stat</c> after the command name (field 3 at index 0), or null when it is gone.</summary>
    private static string[]? ReadStatFields(int processId)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{processId.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // The command name (field 2) is in parentheses and may hold spaces: fields are counted after the last ')'.
        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    }

    private static long Field(string[] fields, int index) => long.Parse(fields[index], CultureInfo.InvariantCulture);

    /// <summary>utime + stime of the processes whose parent is <paramref name="parentId"/> (field 4, index 1).</summary>
    private static long ReadLiveChildrenTicks(int parentId)
    {
        long ticks = 0;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var id)
                || ReadStatFields(id) is not { } fields
                || Field(fields, 1) != parentId)
            {
                continue;
            }

            ticks += Field(fields, 11) + Field(fields, 12);
        }

        return ticks;
    }

    private static long ReadStatusKib(int processId, string key)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{processId.ToString(CultureInfo.InvariantCulture)}/status"))
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
