using System.Globalization;

namespace Gateway.Bench.Load.Cluster;

/// <summary>
/// A CPU budget for the processes put in it: a control group of its own with a CFS quota (cgroup v2's <c>cpu.max</c>,
/// or v1's <c>cpu.cfs_quota_us</c>). A cluster run gives each gateway node the same budget, so that N nodes on this one
/// machine behave like N small machines: without it, one node alone would take whatever the shared cores have left.
/// </summary>
internal sealed class CpuLimit : IDisposable
{
    private const long PeriodMicroseconds = 100_000;
    private readonly string _directory;
    private readonly bool _version2;

    private CpuLimit(string directory, bool version2, double cores)
    {
        _directory = directory;
        _version2 = version2;
        Cores = cores;
    }

    /// <summary>The budget, in cores (0.25 = a quarter of one core's time).</summary>
    public double Cores { get; }

    /// <summary>
    /// Creates the group, or returns null and says why (no writable cpu controller, e.g. not root): the run goes on
    /// without a budget and the report says so.
    /// </summary>
    public static CpuLimit? TryCreate(string name, double cores, out string? whyNot)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cores);
        var quota = Math.Max(1_000, (long)Math.Round(cores * PeriodMicroseconds));
        var candidates = new List<(string Root, bool Version2)>();
        if (File.Exists("/sys/fs/cgroup/cgroup.controllers") && File.ReadAllText("/sys/fs/cgroup/cgroup.controllers").Split(' ', '\n').Contains("cpu"))
        {
            candidates.Add(("/sys/fs/cgroup", true));
        }

        if (File.Exists("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"))
        {
            candidates.Add(("/sys/fs/cgroup/cpu", false));
        }

        whyNot = candidates.Count == 0 ? "no cgroup cpu controller (cgroup v2 cpu.max or v1 cpu.cfs_quota_us) on this machine" : null;
        foreach (var (root, version2) in candidates)
        {
            var directory = Path.Combine(root, name);
            try
            {
                Directory.CreateDirectory(directory);
                if (version2)
                {
                    File.WriteAllText(Path.Combine(directory, "cpu.max"), $"{quota.ToString(CultureInfo.InvariantCulture)} {PeriodMicroseconds.ToString(CultureInfo.InvariantCulture)}");
                }
                else
                {
                    File.WriteAllText(Path.Combine(directory, "cpu.cfs_period_us"), PeriodMicroseconds.ToString(CultureInfo.InvariantCulture));
                    File.WriteAllText(Path.Combine(directory, "cpu.cfs_quota_us"), quota.ToString(CultureInfo.InvariantCulture));
                }

                whyNot = null;
                return new CpuLimit(directory, version2, cores);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                whyNot = $"cannot create {directory}: {ex.Message}";
                TryRemove(directory);
            }
        }

        return null;
    }

    /// <summary>Moves a process, with all its threads, into the group (threads it starts later stay in it).</summary>
    public void Add(int processId) =>
        File.WriteAllText(Path.Combine(_directory, "cgroup.procs"), processId.ToString(CultureInfo.InvariantCulture));

    /// <summary>How long the group's processes were held back by the quota so far.</summary>
    public TimeSpan ReadThrottled()
    {
        try
        {
            foreach (var line in File.ReadLines(Path.Combine(_directory, "cpu.stat")))
            {
                var parts = line.Split(' ');
                if (parts.Length == 2 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
                {
                    if (_version2 && parts[0] == "throttled_usec")
                    {
                        return TimeSpan.FromMicroseconds(value);
                    }

                    if (!_version2 && parts[0] == "throttled_time")
                    {
                        return TimeSpan.FromTicks(value / 100); // nanoseconds
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }

        return TimeSpan.Zero;
    }

    /// <summary>Removes the group; its processes must have ended (a group with members cannot be removed).</summary>
    public void Dispose() => TryRemove(_directory);

    private static void TryRemove(string directory)
    {
        try
        {
            Directory.Delete(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}
