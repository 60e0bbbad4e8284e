namespace Gateway.Bench.Load;

/// <summary>How fast an XMPP sender sends.</summary>
/// <param name="MessagesPerSecond">A fixed rate, or null for as fast as the receiving side keeps up.</param>
/// <param name="MaxInFlight">
/// At most this many messages sent and not yet received (null: no limit). As fast as possible means "keep this many
/// in flight": enough to keep the server busy, without piling up seconds of backlog in socket buffers and in the
/// server's memory, which would turn the latency figures into a measure of the pile.
/// </param>
internal sealed record SendPacing(double? MessagesPerSecond, int? MaxInFlight)
{
    public override string ToString() =>
        MessagesPerSecond is { } rate ? $"{rate:N0}/s" : $"max ({MaxInFlight:N0} in flight)";
}
