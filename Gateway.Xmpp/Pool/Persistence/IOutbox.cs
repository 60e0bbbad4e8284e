namespace Gateway.Xmpp.Pool.Persistence;

/// <summary>
/// The read side of the outbox, where accepted outgoing stanzas wait until the server has acknowledged them
/// (XEP-0198), so that a gateway restart resends them instead of losing them. A send is accepted only once its entry
/// is committed (<see cref="JournalBatch.OutboxAdditions"/>); the entry goes (<see cref="JournalBatch.OutboxRemovals"/>)
/// when the server acknowledged the stanza, when it can never be sent, or with its session.
/// </summary>
public interface IOutbox
{
    /// <summary>Whether entries outlive the process. When not, a stopping pool fails what is still queued.</summary>
    bool IsDurable { get; }

    /// <summary>The session's entries in the order they were accepted, to queue again after a restart.</summary>
    Task<IReadOnlyList<OutboxEntry>> LoadAsync(string tenant, string sessionId, CancellationToken cancellationToken = default);
}

/// <summary>An accepted outgoing stanza waiting for the server's acknowledgement.</summary>
public sealed record OutboxEntry(string Tenant, string SessionId, Stanza Stanza, bool WaitForAck, DateTimeOffset AcceptedAt)
{
    /// <summary>
    /// The session's archive cursor when the stanza was accepted: a lower bound for finding it in the account's own
    /// archive after a restart. Stored with the entry, returned by LoadAsync.
    /// </summary>
    public string? ArchiveCursor { get; init; }

    /// <summary>
    /// The stanza already serialised (its XML in UTF-8, as it goes on the wire), when the caller has it: the store then
    /// need not serialise it again. Empty when not given.
    /// </summary>
    public ReadOnlyMemory<byte> SerializedStanza { get; init; }

    /// <summary>The stanza's id (every queued stanza has one).</summary>
    public string StanzaId => Stanza.Id ?? throw new InvalidOperationException("An outbox entry's stanza has an id.");
}
