using System.Globalization;

namespace Gateway.Tests.Reliability;

/// <summary>What the process-level chaos tests (one gateway, and the three-node cluster) share around a run.</summary>
internal static class ChaosRunKit
{
    /// <summary>Waits (bounded) for tasks whose failures are reported by the tasks themselves.</summary>
    public static async Task ObserveAsync(params Task[] tasks)
    {
        foreach (var task in tasks)
        {
            try
            {
                await task.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
            }
            catch (Exception)
            {
                // Reported from the task itself.
            }
        }
    }

    /// <summary>The machine's load average (1, 5, 15 min), for the report.</summary>
    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
    }

    /// <summary>A positive number from an environment variable, else <paramref name="fallback"/>.</summary>
    public static int PositiveInt(string variable, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), CultureInfo.InvariantCulture, out var n) && n > 0 ? n : fallback;

    /// <summary>Keeps a log beside a failed run's report, if there is one to keep.</summary>
    public static void CopyIfExists(string from, string to)
    {
        try
        {
            if (File.Exists(from))
            {
                File.Copy(from, to, overwrite: true);
            }
        }
        catch (IOException)
        {
        }
    }
}
