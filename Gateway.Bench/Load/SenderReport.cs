namespace Gateway.Bench.Load;

/// <summary>What a sender saw during a phase.</summary>
/// <param name="Requests">HTTP requests answered, or XMPP writes made.</param>
/// <param name="Statuses">HTTP status codes and how often each came (empty for XMPP senders).</param>
/// <param name="TransportErrors">Requests that failed without an answer (broken connection, timeout).</param>
/// <param name="RequestLatency">Time to the full response of the requests started inside the window (HTTP only).</param>
/// <param name="ErrorStanzas">Error stanzas the server sent back (XMPP senders: bounces).</param>
internal sealed record SenderReport(
    long Requests, IReadOnlyDictionary<int, long> Statuses, long TransportErrors, LatencyHistogram? RequestLatency, long ErrorStanzas)
{
    /// <summary>
    /// Messages refused one by one inside a 2xx answer (a batch's results), by the status of their problem; a message
    /// of a request refused as a whole is in <see cref="Statuses"/> with its request.
    /// </summary>
    public IReadOnlyDictionary<int, long> RefusedMessages { get; init; } = new Dictionary<int, long>();

    /// <summary>2xx answers whose body did not say what became of each message: their messages count as not accepted.</summary>
    public long UnreadableAnswers { get; init; }

    /// <summary>Answers outside 2xx, e.g. <c>429×12, 504×3</c>; empty when there were none.</summary>
    public string FailedStatuses => string.Join(", ", Statuses.Where(s => s.Key is < 200 or > 299).OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}"));
}
