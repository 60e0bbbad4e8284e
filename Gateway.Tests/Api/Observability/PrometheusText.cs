using System.Globalization;

namespace Gateway.Tests.Api.Observability;

/// <summary>Reads samples out of a Prometheus text exposition (format 0.0.4): <c>name{labels} value [timestamp]</c>.</summary>
internal sealed class PrometheusText(string text)
{
    public string Text { get; } = text;

    /// <summary>The sum of the samples of <paramref name="name"/> whose labels include every one of <paramref name="labels"/> (e.g. <c>kind="message"</c>); 0 when none.</summary>
    public double Sum(string name, params string[] labels)
    {
        var sum = 0.0;
        foreach (var line in Text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var parts = line.Split(' ');
            var series = parts[0];
            var brace = series.IndexOf('{', StringComparison.Ordinal);
            var sampleName = brace < 0 ? series : series[..brace];
            if (sampleName == name && labels.All(l => series.Contains(l, StringComparison.Ordinal)))
            {
                sum += double.Parse(parts[1], CultureInfo.InvariantCulture);
            }
        }

        return sum;
    }

    public bool Has(string name) => Text.Split('\n').Any(l => !l.StartsWith('#') && (l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal)));
}
