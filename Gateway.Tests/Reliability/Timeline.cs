using System.Diagnostics;

namespace Gateway.Tests.Reliability;

/// <summary>What a chaos run did when, for its report: wall-clock time and time since the run started.</summary>
internal sealed class Timeline(Stopwatch clock)
{
    private readonly List<string> _entries = [];

    public IReadOnlyList<string> Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    public void Add(string what)
    {
        lock (_entries)
        {
            _entries.Add($"{DateTime.UtcNow:HH:mm:ss.fff} (+{clock.Elapsed.TotalSeconds:0.0}s) {what}");
        }
    }
}
