using System.Globalization;
using System.Text;

namespace Gateway.Tests.Reliability;

/// <summary>
/// What one receiver got of one sender's numbered messages (bodies <c>"{prefix} {sequence}"</c>, and
/// <c>"{prefix} sentinel"</c> last), in arrival order: from it, which sequence numbers were lost, delivered more than
/// once or delivered out of order. Thread-safe.
/// </summary>
internal sealed class DeliveryLedger(string name, string prefix)
{
    public const string Sentinel = "sentinel";

    private readonly List<Delivery> _deliveries = [];
    private readonly TaskCompletionSource _sentinel = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Name => name;

    public string Prefix => prefix;

    /// <summary>Completes when the sentinel arrived: everything sent before it has had its chance to arrive first.</summary>
    public Task SentinelArrived => _sentinel.Task;

    /// <summary>The body of message <paramref name="sequence"/>.</summary>
    public string Body(int sequence) => $"{prefix} {sequence.ToString(CultureInfo.InvariantCulture)}";

    public string SentinelBody => $"{prefix} {Sentinel}";

    /// <summary>Records a delivery if <paramref name="body"/> is one of this sender's; returns whether it was.</summary>
    /// <param name="body">The message body.</param>
    /// <param name="key">What else identifies the copy (an origin-id, an event id), for the report.</param>
    public bool Record(string? body, string? key = null)
    {
        if (body is null || !body.StartsWith(prefix + " ", StringComparison.Ordinal))
        {
            return false;
        }

        var rest = body.AsSpan(prefix.Length + 1);
        if (rest.SequenceEqual(Sentinel))
        {
            _sentinel.TrySetResult();
            return true;
        }

        if (!int.TryParse(rest, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
        {
            return false;
        }

        lock (_deliveries)
        {
            _deliveries.Add(new Delivery(sequence, key, DateTime.UtcNow));
        }

        return true;
    }

    /// <summary>Distinct sequence numbers received so far.</summary>
    public int DistinctCount
    {
        get
        {
            lock (_deliveries)
            {
                return _deliveries.Select(d => d.Sequence).Distinct().Count();
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_deliveries)
            {
                return _deliveries.Count;
            }
        }
    }

    /// <summary>Each copy of message <paramref name="sequence"/> that arrived: "12:00:01.234 key", oldest first.</summary>
    public IReadOnlyList<string> ArrivalsOf(int sequence)
    {
        lock (_deliveries)
        {
            return [.. _deliveries.Where(d => d.Sequence == sequence).Select(d => string.Create(CultureInfo.InvariantCulture, $"{d.At:HH:mm:ss.fff} {d.Key}"))];
        }
    }

    /// <summary>Compares what arrived with the <paramref name="expected"/> messages 0..expected-1 sent in that order.</summary>
    public LedgerReport Analyze(int expected)
    {
        Delivery[] deliveries;
        lock (_deliveries)
        {
            deliveries = [.. _deliveries];
        }

        var counts = new Dictionary<int, int>();
        foreach (var delivery in deliveries)
        {
            counts[delivery.Sequence] = counts.GetValueOrDefault(delivery.Sequence) + 1;
        }

        var lost = Enumerable.Range(0, expected).Where(s => !counts.ContainsKey(s)).ToArray();
        var unexpected = counts.Keys.Where(s => s < 0 || s >= expected).Order().ToArray();
        var duplicated = counts.Where(c => c.Value > 1).OrderBy(c => c.Key)
            .Select(c => new Duplicate(c.Key, c.Value, [.. deliveries.Where(d => d.Sequence == c.Key).Select(d => d.Key ?? "?")]))
            .ToArray();

        // Out of order: a first copy arriving after a higher sequence number had already arrived.
        var seen = new HashSet<int>();
        var highest = -1;
        var reordered = new List<(int Sequence, int After)>();
        foreach (var delivery in deliveries)
        {
            if (!seen.Add(delivery.Sequence))
            {
                continue;
            }

            if (delivery.Sequence < highest)
            {
                reordered.Add((delivery.Sequence, highest));
            }

            highest = Math.Max(highest, delivery.Sequence);
        }

        return new LedgerReport(name, expected, deliveries.Length, counts.Count, SentinelArrived.IsCompleted, lost, duplicated, [.. reordered], unexpected);
    }

    private sealed record Delivery(int Sequence, string? Key, DateTime At);
}

/// <summary>A sequence number that arrived <paramref name="Copies"/> times, with what told the copies apart.</summary>
internal sealed record Duplicate(int Sequence, int Copies, IReadOnlyList<string> Keys);

internal sealed record LedgerReport(
    string Name,
    int Expected,
    int Deliveries,
    int Distinct,
    bool SentinelArrived,
    IReadOnlyList<int> Lost,
    IReadOnlyList<Duplicate> Duplicated,
    IReadOnlyList<(int Sequence, int After)> Reordered,
    IReadOnlyList<int> Unexpected)
{
    public bool Ok => SentinelArrived && Lost.Count == 0 && Duplicated.Count == 0 && Reordered.Count == 0 && Unexpected.Count == 0;

    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{Name}: {Expected} sent, {Deliveries} deliveries of {Distinct} distinct; sentinel {(SentinelArrived ? "arrived" : "NOT arrived")}");
        text.Append(CultureInfo.InvariantCulture, $"; lost {Lost.Count} ({Percent(Lost.Count)})");
        if (Lost.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $" [{Ranges(Lost)}]");
        }

        text.Append(CultureInfo.InvariantCulture, $"; delivered twice or more {Duplicated.Count} ({Percent(Duplicated.Count)})");
        if (Duplicated.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $" [{Ranges([.. Duplicated.Select(d => d.Sequence)])}]");
            text.Append(" e.g. ").AppendJoin("; ", Duplicated.Take(5).Select(d => $"{d.Sequence} x{d.Copies} ({string.Join(", ", d.Keys)})"));
        }

        text.Append(CultureInfo.InvariantCulture, $"; out of order {Reordered.Count}");
        if (Reordered.Count > 0)
        {
            text.Append(" [").AppendJoin(", ", Reordered.Take(20).Select(r => $"{r.Sequence} after {r.After}")).Append(Reordered.Count > 20 ? ", ...]" : "]");
        }

        if (Unexpected.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"; beyond the last message sent (or accepted): [{Ranges(Unexpected)}]");
        }

        return text.ToString();
    }

    private string Percent(int count) => Expected == 0 ? "-" : (100.0 * count / Expected).ToString("0.##", CultureInfo.InvariantCulture) + "%";

    /// <summary>"3-7, 12, 40-41": sorted sequence numbers as ranges, at most 40 of them.</summary>
    internal static string Ranges(IReadOnlyList<int> sorted)
    {
        var ranges = new List<string>();
        for (var i = 0; i < sorted.Count;)
        {
            var j = i;
            while (j + 1 < sorted.Count && sorted[j + 1] == sorted[j] + 1)
            {
                j++;
            }

            ranges.Add(i == j ? sorted[i].ToString(CultureInfo.InvariantCulture) : $"{sorted[i].ToString(CultureInfo.InvariantCulture)}-{sorted[j].ToString(CultureInfo.InvariantCulture)}");
            i = j + 1;
        }

        return ranges.Count <= 40 ? string.Join(", ", ranges) : string.Join(", ", ranges.Take(40)) + $", ... ({ranges.Count} ranges)";
    }
}
