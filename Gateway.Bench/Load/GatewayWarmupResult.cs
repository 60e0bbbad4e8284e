using System.Globalization;

namespace Gateway.Bench.Load;

/// <summary>What the gateway's warm-up (<see cref="GatewayWarmup"/>) did, for the report's set-up list.</summary>
/// <param name="Steps">The steps, in order, each for an equal share of the time, e.g. <c>rest c16</c>.</param>
/// <param name="Elapsed">From the first step's start to the last one's end (set-up and drain not included).</param>
/// <param name="Received">Messages the warm-up's receiver and hub subscriber got.</param>
/// <param name="Missing">Accepted messages still not received when the drain ended.</param>
/// <param name="StatusRequests">Message-status GETs answered.</param>
/// <param name="Logins">Sessions the login step created (and deleted again).</param>
/// <param name="Refusals">Per step with refusals, what the Refused column would say, e.g. <c>rest c64: 429×12</c>.</param>
/// <param name="Drain">How long the warm-up waited for its last messages after the last step.</param>
/// <param name="Drained">Whether everything accepted arrived before the drain gave up.</param>
internal sealed record GatewayWarmupResult(
    IReadOnlyList<string> Steps,
    TimeSpan Elapsed,
    long Received,
    long Missing,
    long StatusRequests,
    long Logins,
    IReadOnlyList<string> Refusals,
    TimeSpan Drain,
    bool Drained)
{
    /// <summary>The set-up list's line.</summary>
    public string Describe()
    {
        var invariant = CultureInfo.InvariantCulture;
        string Seconds(TimeSpan time) => time.TotalSeconds.ToString("N1", invariant);
        var outcome = Drained
            ? $"everything had arrived {Seconds(Drain)} s after the last step."
            : $"{Missing.ToString("N0", invariant)} messages had not arrived when the drain gave up after {Seconds(Drain)} s.";
        return $"Gateway warm-up, once, right after the gateway started and before any phase, not measured, so that its JIT has " +
            $"settled (tier 0, instrumented, tier 1, OSR): {Seconds(Elapsed)} s in {Steps.Count} steps of about {Seconds(Elapsed / Steps.Count)} s, " +
            $"on sessions and accounts of its own, with the scenarios' clients: {string.Join(", ", Steps)}. " +
            $"{Received.ToString("N0", invariant)} messages received, {StatusRequests.ToString("N0", invariant)} message-status GETs answered, " +
            $"{Logins.ToString("N0", invariant)} sessions created and deleted; " +
            outcome +
            (Refusals.Count > 0 ? $" Refused: {string.Join("; ", Refusals)}." : "");
    }
}
