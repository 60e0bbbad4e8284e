namespace Gateway.Xmpp.Pool;

/// <summary>An accepted stanza on its way out, and what its caller waits for.</summary>
/// <param name="Stanza">The stanza, with its id and delivery elements.</param>
/// <param name="WaitForAck">The caller waits for the server's XEP-0198 acknowledgement.</param>
/// <param name="Tracked">Its delivery status is tracked (messages with a body).</param>
/// <param name="IsReply">A reply the session sends by itself (e.g. a XEP-0184 receipt): not stored, not counted, never waited for.</param>
/// <param name="AcceptedAt">When it was accepted (to look it up in the archive when its fate is unknown).</param>
internal sealed record OutboundItem(Stanza Stanza, bool WaitForAck, bool Tracked, DateTimeOffset AcceptedAt, bool IsReply = false)
{
    public string Id => Stanza.Id!;

    /// <summary>The stanza serialised once when it was accepted (for the outbox and the wire); empty when it was not.</summary>
    public ReadOnlyMemory<byte> Serialized { get; init; }

    /// <summary>
    /// The session's archive cursor when it was accepted (the newest archive id the session had seen): the server
    /// archives the message after it, so a search for it in the account's archive can start there. Null when unknown.
    /// </summary>
    public string? ArchiveCursor { get; init; }

    /// <summary>
    /// The queue clock's timestamp (<see cref="TimeProvider.GetTimestamp"/>) when the send was admitted, for the time it
    /// spent in the gateway before its write; 0 when not known (a stanza an earlier process accepted).
    /// </summary>
    public long AdmittedAt { get; init; }

    /// <summary>Bytes reserved in the tenant's <see cref="ByteBudget"/> for it; 0 when none were.</summary>
    public long BudgetBytes { get; init; }

    private int _budgetReleased;

    /// <summary>True the first time only, when it holds bytes of the budget: the caller releases them.</summary>
    public bool TryReleaseBudget() => BudgetBytes > 0 && Interlocked.Exchange(ref _budgetReleased, 1) == 0;

    /// <summary>Its trace from acceptance to acknowledgement (<see cref="Diagnostics.XmppActivities"/>); null while nobody traces.</summary>
    public System.Diagnostics.Activity? Activity { get; init; }

    /// <summary>Completes when written: with the acknowledgement task under XEP-0198, else null.</summary>
    public TaskCompletionSource<Task?> Written { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
