namespace Gateway.Xmpp.Pool.Persistence;

/// <summary>
/// Where accepted outgoing stanzas wait until the server has acknowledged them (XEP-0198), so that a gateway
/// restart resends them instead of losing them. A send is accepted only once its entry is added; the entry goes
/// when the server acknowledged the stanza, when it can never be sent, or with its session.
/// </summary>
public interface IOutbox
{
    /// <summary>Whether entries outlive the process. When not, a stopping pool fails what is still queued.</summary>
    bool IsDurable { get; }

    /// <summary>Adds an accepted stanza; it has an id, unique within its session.</summary>
    Task AddAsync(OutboxEntry entry, CancellationToken cancellationToken = default);

    /// <summary>Removes a stanza that needs no resending; no error when unknown.</summary>
    Task RemoveAsync(string tenant, string sessionId, string stanzaId, CancellationToken cancellationToken = default);

    /// <summary>The session's entries in the order they were accepted, to queue again after a restart.</summary>
    Task<IReadOnlyList<OutboxEntry>> LoadAsync(string tenant, string sessionId, CancellationToken cancellationToken = default);

    /// <summary>Forgets every entry of a removed session.</summary>
    Task DeleteSessionAsync(string tenant, string sessionId, CancellationToken cancellationToken = default);
}

/// <summary>An accepted outgoing stanza waiting for the server's acknowledgement.</summary>
public sealed record OutboxEntry(string Tenant, string SessionId, Stanza Stanza, bool WaitForAck, DateTimeOffset AcceptedAt)
{
    /// <summary>
    /// The session's archive cursor when the stanza was accepted: a lower bound for finding it in the account's own
    /// archive after a restart. Stored with the entry, returned by LoadAsync.
    /// </summary>
    public string? ArchiveCursor { get; init; }

    /// <summary>The stanza already serialised (its XML), when the caller has it: the store then need not serialise it again.</summary>
    public string? StanzaXml { get; init; }

    /// <summary>The stanza's id (every queued stanza has one).</summary>
    public string StanzaId => Stanza.Id ?? throw new InvalidOperationException("An outbox entry's stanza has an id.");
}

/// <summary>Keeps nothing: queued stanzas live as long as the process. The default of a bare <see cref="SessionPool"/>.</summary>
public sealed class NoOutbox : IOutbox
{
    public static NoOutbox Instance { get; } = new();

    public bool IsDurable => false;

    public Task AddAsync(OutboxEntry entry, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task RemoveAsync(string tenant, string sessionId, string stanzaId, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task<IReadOnlyList<OutboxEntry>> LoadAsync(string tenant, string sessionId, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<OutboxEntry>>([]);

    public Task DeleteSessionAsync(string tenant, string sessionId, CancellationToken cancellationToken = default) => Task.CompletedTask;
}
