namespace Gateway.Bench.Load;

/// <summary>What a <see cref="DeliveryLog"/> says once its phase has drained.</summary>
/// <param name="Issued">Sequence numbers handed out (messages the senders tried to send).</param>
/// <param name="Accepted">Messages the sending side accepted (HTTP 2xx, or written to the XMPP socket).</param>
/// <param name="Delivered">Accepted messages the receiver got at least once.</param>
/// <param name="Missing">Accepted messages the receiver never got: must be 0.</param>
/// <param name="Duplicates">Receipts beyond the first of one message.</param>
/// <param name="Unexpected">Messages received although their send was refused (e.g. a 504 whose message still went out).</param>
/// <param name="DeliveredInWindow">Messages first received inside the measurement window.</param>
/// <param name="EndToEnd">Send-to-receipt latency of the messages sent inside the window.</param>
internal sealed record DeliverySummary(
    long Issued, long Accepted, long Delivered, long Missing, long Duplicates, long Unexpected, long DeliveredInWindow, LatencyHistogram EndToEnd);
