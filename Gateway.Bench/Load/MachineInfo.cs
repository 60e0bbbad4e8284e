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
        var top = await RunAsync("ps", ["-eo", "pcpu,comm", "--sort=-pcpu", "--no-headers"], repositoryRoot, cancellationToken);
        return new MachineInfo(
            DateTime.UtcNow,
            Environment.ProcessorCount,
            model,
            (await File.ReadAllTextAsync("/proc/sys/kernel/osrelease", cancellationToken)).Trim(),
            (await RunAsync("dotnet", ["--version"], repositoryRoot, cancellationToken)).Trim(),
            (await RunAsync("dpkg-query", ["-W", "prosody"], repositoryRoot, cancellationToken)).Trim().Replace('\t', ' '),
            commit + (dirty ? " (with uncommitted changes)" : ""),
            ReadLoadAverage(),
            string.Join(", ", top.Split('\n', StringSplitOptions.RemoveEmptyEntries).Take(5).Select(l => l.Trim())));
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
