// XEP-0198: Stream Management (v1.6.1) §5 Resumption
namespace Gateway.Xmpp.StreamManagement;

/// <summary>
/// What a terminated stream leaves for the next connection of the same session: the stanzas the server has
/// not acknowledged (to resend), and, when the server allowed it, what is needed to resume the stream itself
/// so that nothing is delivered twice or lost (XEP-0198 §5).
/// </summary>
public sealed class StreamHandoff
{
    internal StreamHandoff(string? resumptionId, Jid boundJid, uint inboundHandled, uint outboundAcked, IReadOnlyList<PendingAcknowledgement> unacked)
    {
        ResumptionId = resumptionId;
        BoundJid = boundJid;
        InboundHandled = inboundHandled;
        OutboundAcked = outboundAcked;
        Unacked = unacked;
    }

    /// <summary>The stream id to resume, or null when the server did not allow resumption.</summary>
    public string? ResumptionId { get; }

    /// <summary>The full JID of the stream; a resumed stream keeps it.</summary>
    public Jid BoundJid { get; }

    /// <summary>Stanzas sent and not acknowledged, oldest first.</summary>
    public int UnacknowledgedCount => Unacked.Count;

    /// <summary>The ids of the unacknowledged stanzas (those that have one), oldest first.</summary>
    public IEnumerable<string> UnacknowledgedIds => Unacked.Select(p => p.Stanza.Id).OfType<string>();

    internal uint InboundHandled { get; }

    internal uint OutboundAcked { get; }

    internal IReadOnlyList<PendingAcknowledgement> Unacked { get; }

    /// <summary>
    /// The same stanzas for a new stream rather than a resumed one: when the old stream is not to be trusted
    /// (it stopped answering), resuming it would bring the stall back, so the next connection binds anew and
    /// sends everything unacknowledged again.
    /// </summary>
    public StreamHandoff WithoutResumption() =>
        ResumptionId is null ? this : new StreamHandoff(null, BoundJid, InboundHandled, OutboundAcked, Unacked);

    /// <summary>Fails every pending acknowledgement, when the handoff will not be used.</summary>
    public void Abandon(Exception reason)
    {
        foreach (var pending in Unacked)
        {
            pending.Acknowledged.TrySetException(reason);
        }
    }
}
