// XEP-0198: Stream Management (v1.6.1) §5 Resumption
namespace Gateway.Xmpp.StreamManagement;

/// <summary>
/// What a terminated stream leaves for the next connection of the same session: the stanzas the server has
/// not acknowledged (to resend), and, when the server allowed it, what is needed to resume the stream itself
/// so that nothing is delivered twice or lost (XEP-0198 §5).
/// </summary>
public sealed class StreamHandoff
{
    internal StreamHandoff(string? resumptionId, Jid? boundJid, uint inboundHandled, uint outboundAcked, IReadOnlyList<PendingAcknowledgement> unacked, int? maxResumeSeconds = null, long detachedAt = 0)
    {
        ResumptionId = resumptionId;
        BoundJid = boundJid;
        InboundHandled = inboundHandled;
        OutboundAcked = outboundAcked;
        Unacked = unacked;
        MaxResumeSeconds = maxResumeSeconds;
        DetachedAt = detachedAt;
    }

    /// <summary>The stream id to resume, or null when the server did not allow resumption.</summary>
    public string? ResumptionId { get; }

    /// <summary>The full JID of the stream; a resumed stream keeps it. Null for stanzas that never had a stream here.</summary>
    public Jid? BoundJid { get; }

    /// <summary>Stanzas sent and not acknowledged, oldest first.</summary>
    public int UnacknowledgedCount => Unacked.Count;

    /// <summary>The ids of the unacknowledged stanzas (those that have one), oldest first.</summary>
    public IEnumerable<string> UnacknowledgedIds => Unacked.Select(p => p.Stanza.Id).OfType<string>();

    /// <summary>The unacknowledged stanzas, oldest first.</summary>
    public IEnumerable<Stanza> UnacknowledgedStanzas => Unacked.Select(p => p.Stanza);

    internal uint InboundHandled { get; }

    internal uint OutboundAcked { get; }

    internal IReadOnlyList<PendingAcknowledgement> Unacked { get; }

    /// <summary>XEP-0198 §5: how long the server said it keeps the stream ('max' of &lt;enabled/&gt;), when it said.</summary>
    internal int? MaxResumeSeconds { get; }

    /// <summary>When the stream ended (<see cref="TimeProvider.GetTimestamp"/> of the system clock); 0 when unknown.</summary>
    internal long DetachedAt { get; }

    /// <summary>
    /// Whether resuming can still work: the server allowed it, and (when it said how long it keeps a stream) that
    /// time has not passed. A stream past its 'max' is not asked for: it would only cost a round trip to be refused.
    /// </summary>
    internal bool CanResume =>
        ResumptionId is not null
        && (MaxResumeSeconds is not { } max || DetachedAt == 0 || TimeProvider.System.GetElapsedTime(DetachedAt) < TimeSpan.FromSeconds(max));

    /// <summary>
    /// Stanzas whose fate is unknown — e.g. accepted by an earlier process and perhaps sent by it before it stopped —
    /// for the next connection to settle like the unacknowledged stanzas of a stream it could not resume: it asks the
    /// caller's <see cref="HandledStanzaLookup"/> which of them the server already has, and sends the others.
    /// Each stanza's task completes when the server has it (acknowledged, or found).
    /// </summary>
    public static StreamHandoff ForUnconfirmed(IEnumerable<Stanza> stanzas, out IReadOnlyList<Task> acknowledgements)
    {
        ArgumentNullException.ThrowIfNull(stanzas);
        var pending = stanzas.Select(s => new PendingAcknowledgement(s, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously))).ToArray();
        acknowledgements = [.. pending.Select(p => p.Acknowledged.Task)];
        return new StreamHandoff(null, null, 0, 0, pending);
    }

    /// <summary>
    /// The same stanzas for a new stream rather than a resumed one: when the old stream is not to be trusted
    /// (it stopped answering), resuming it would bring the stall back, so the next connection binds anew and
    /// sends everything unacknowledged again.
    /// </summary>
    public StreamHandoff WithoutResumption() =>
        ResumptionId is null ? this : new StreamHandoff(null, BoundJid, InboundHandled, OutboundAcked, Unacked, MaxResumeSeconds, DetachedAt);

    /// <summary>This handoff's stanzas followed by <paramref name="later"/>'s (e.g. unconfirmed ones after a connection that never got to send them).</summary>
    public StreamHandoff Append(StreamHandoff later)
    {
        ArgumentNullException.ThrowIfNull(later);
        return later.Unacked.Count == 0 ? this : new StreamHandoff(ResumptionId, BoundJid, InboundHandled, OutboundAcked, [.. Unacked, .. later.Unacked], MaxResumeSeconds, DetachedAt);
    }

    /// <summary>Fails every pending acknowledgement, when the handoff will not be used.</summary>
    public void Abandon(Exception reason)
    {
        foreach (var pending in Unacked)
        {
            pending.Acknowledged.TrySetException(reason);
        }
    }
}

/// <summary>
/// After a new stream replaced one whose count of handled stanzas is unknown (the server restarted, or the
/// stanzas came from an earlier process), says which of the <paramref name="unconfirmed"/> stanzas the server
/// already handled — e.g. by finding their XEP-0359 origin-ids in the account's own archive (XEP-0313) — so only
/// the others are sent again. Runs on the new connection before anything else is sent on it.
/// </summary>
/// <returns>The ids of the stanzas the server has; they are not sent again and count as acknowledged.</returns>
public delegate ValueTask<IReadOnlySet<string>> HandledStanzaLookup(IXmppConnection connection, IReadOnlyList<Stanza> unconfirmed, CancellationToken cancellationToken);
