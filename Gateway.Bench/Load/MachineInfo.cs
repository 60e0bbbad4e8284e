using System.Diagnostics;
using System.Globalization;

namespace Gateway.Bench.Load;

/// <summary>Where and on what a run happened: the machine, the software versions, the code, the time and the load.</summary>
internal sealed record MachineInfo(
    DateTime StartedUtc, int Processors, string CpuModel, string Kernel, string Dotnet, string Prosody, string Commit, string LoadAverageAtStart, string BusiestProcesses)
{
    public static async Task<MachineInfo> CollectAsync(string repositoryRoot, CancellationToken cancellationToken)
    {
        var lscpu = await RunAsync("lscpu", [], repositoryRoot, cancellationToken);
        var model = lscpu.Split('\n').FirstOrDefault(l => l.StartsWith("Model name:", StringComparison.Ordinal))?["Model name:".Length..].Trim() ?? "?";
        var commit = (await RunAsync("git", ["rev-parse", "--short", "HEAD"], repositoryRoot, cancellationToken)).Trim();
        var dirty = (await RunAsync("git", ["status", "--porcelain", "--untracked-files=no"], repositoryRoot, cancellationToken)).Trim().Length > 0;
        return new MachineInfo(
            DateTime.UtcNow,
            Environment.ProcessorCount,
            model,
            (await File.ReadAllTextAsync("/proc/sys/kernel/osrelease", cancellationToken)).Trim(),
            (await RunAsync("dotnet", ["--version"], repositoryRoot, cancellationToken)).Trim(),
            (await RunAsync("dpkg-query", ["-W", "prosody"], repositoryRoot, cancellationToken)).Trim().Replace('\t', ' '),
            commit + (dirty ? " (with uncommitted changes)" : ""),
            ReadLoadAverage(),
            await SampleBusiestProcessesAsync(TimeSpan.FromSeconds(2), [], cancellationToken));
    }

    /// <summary>
    /// The processes that used the most CPU over <paramref name="period"/>, e.g. <c>csc 85%, dotnet 40%</c> (% of one
    /// core), or "none" when nothing used more than 5%: what else was running on the machine. This process and
    /// <paramref name="excluded"/> (the servers it started) are left out.
    /// </summary>
    public static async Task<string> SampleBusiestProcessesAsync(TimeSpan period, IReadOnlyCollection<int> excluded, CancellationToken cancellationToken)
    {
        var before = ReadProcessTimes();
        await Task.Delay(period, cancellationToken);
        var after = ReadProcessTimes();
        var busiest = after
            .Where(p => p.Key != Environment.ProcessId && !excluded.Contains(p.Key) && before.ContainsKey(p.Key))
            .Select(p => (p.Value.Name, Share: (p.Value.Ticks - before[p.Key].Ticks) / 100.0 / period.TotalSeconds))
            .Where(p => p.Share >= 0.05)
            .OrderByDescending(p => p.Share)
            .Take(6)
            .Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Name} {p.Share * 100:0}%"))
            .ToList();
        return busiest.Count == 0 ? "none above 5% of a core" : string.Join(", ", busiest);
    }

    // utime + stime (clock ticks, 100 per second on Linux) and the command name of every process.
    private static Dictionary<int, (string Name, long Ticks)> ReadProcessTimes()
    {
        var times = new Dictionary<int, (string, long)>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var open = stat.IndexOf('(', StringComparison.Ordinal);
                var close = stat.LastIndexOf(')');
                var fields = stat[(close + 2)..].Split(' ');
                times[pid] = (Describe(directory, stat[(open + 1)..close]), long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The process ended meanwhile.
            }
        }

        return times;
    }

    // "dotnet build Gateway.Tests" says more than the command name "dotnet": the program's file name and its first
    // two arguments that are not options (file names only), at most 40 characters.
    private static string Describe(string directory, string command)
    {
        var arguments = File.ReadAllText(Path.Combine(directory, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
        if (arguments.Length == 0)
        {
            return command;
        }

        var words = arguments.Skip(1).Where(a => a.Length > 0 && a[0] is not '-' and not '/' and not '@').Take(2);
        var text = string.Join(' ', words.Prepend(arguments[0]).Select(a => Path.GetFileName(a.TrimEnd('/'))));
        return text.Length <= 40 ? text : text[..40] + "…";
    }

    /// <summary>The 1-, 5- and 15-minute load averages.</summary>
    public static string ReadLoadAverage() =>
        string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    private static async Task<string> RunAsync(string file, IReadOnlyList<string> arguments, string directory, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = directory,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {file}.");
            var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            return output;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "?";
        }
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Processors} × {CpuModel}, kernel {Kernel}");
}
