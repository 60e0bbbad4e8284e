namespace Gateway.Bench.Load;

/// <summary>What a <see cref="FanoutLog"/> says once its phase has drained.</summary>
/// <param name="Messages">Messages sent.</param>
/// <param name="Subscribers">Subscribers that should each get every message.</param>
/// <param name="Expected">Messages × subscribers.</param>
/// <param name="Missing">Deliveries that never came: must be 0.</param>
/// <param name="Duplicates">Deliveries of a message a subscriber already had.</param>
/// <param name="Incomplete">Messages at least one subscriber never got.</param>
/// <param name="CompleteInWindow">Messages sent inside the window that every subscriber got (the latency sample).</param>
/// <param name="DeliveredInWindow">Deliveries (to any subscriber) that arrived inside the window.</param>
/// <param name="ToLastSubscriber">Per message, from sending to its arrival at the last subscriber.</param>
internal sealed record FanoutSummary(
    long Messages, int Subscribers, long Expected, long Missing, long Duplicates, long Incomplete, long CompleteInWindow, long DeliveredInWindow,
    LatencyHistogram ToLastSubscriber);
