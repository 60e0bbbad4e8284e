namespace Gateway.Xmpp.Pool.Persistence;

/// <summary>
/// Where session definitions survive a gateway restart. The spec holds the account password: an
/// implementation must encrypt it at rest and never log it.
/// </summary>
public interface ISessionStore
{
    /// <summary>Inserts or replaces the session's definition.</summary>
    Task SaveAsync(StoredSession session, CancellationToken cancellationToken = default);

    /// <summary>Forgets the session; no error when unknown.</summary>
    Task DeleteAsync(string tenant, string sessionId, CancellationToken cancellationToken = default);

    /// <summary>Every stored session, to restore at start-up.</summary>
    Task<IReadOnlyList<StoredSession>> LoadAllAsync(CancellationToken cancellationToken = default);

    /// <summary>One stored session, or null when there is none with this tenant and id.</summary>
    /// <remarks>
    /// The default implementation reads every stored session (<see cref="LoadAllAsync"/>); a store that can read one row
    /// should override it.
    /// </remarks>
    async Task<StoredSession?> FindAsync(string tenant, string sessionId, CancellationToken cancellationToken = default) =>
        (await LoadAllAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(s => s.Tenant == tenant && s.Id == sessionId);
}

/// <summary>A session definition as stored.</summary>
public sealed record StoredSession(string Tenant, string Id, SessionSpec Spec, DateTimeOffset CreatedAt);
