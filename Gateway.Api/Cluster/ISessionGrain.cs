namespace Gateway.Api.Cluster;

/// <summary>
/// One gateway session's ownership in the cluster, keyed by <see cref="SessionGrainKey"/>. Orleans keeps at most one
/// activation per key, and the node holding the activation is the one whose pool runs the session: one XMPP login per
/// session across the cluster. Activating it hosts the stored session on that node; deactivating it releases it.
/// </summary>
internal interface ISessionGrain : IGrainWithStringKey
{
    /// <summary>
    /// Where the session runs. Activates the grain if it is not active anywhere, which hosts the stored session on the
    /// activating node; for a session that is neither stored nor being created the answer says so
    /// (<see cref="SessionOwner.Hosted"/> false) and the activation ends.
    /// </summary>
    Task<SessionOwner> GetOwnerAsync();

    /// <summary>
    /// Marks the session as being created (so the activation stays) and answers where. The caller creates the session
    /// in its own pool only when that is its own node, then reports with <see cref="CreatedAsync"/>.
    /// </summary>
    Task<SessionOwner> ClaimAsync();

    /// <summary>Ends a <see cref="ClaimAsync"/>: the session now runs here, or the activation ends when the create failed.</summary>
    Task CreatedAsync(bool created);

    /// <summary>Removes the session (stops it and deletes its stored data) on the node that runs it, and ends the activation.</summary>
    Task<bool> RemoveAsync();

    /// <summary>
    /// Moves the session to <paramref name="target"/> (a drain, <see cref="SessionDrainService"/>): the grain migrates
    /// there once idle, handing over the XMPP stream, which the new node resumes (XEP-0198 §5). False when this
    /// activation does not run a session (nothing moves).
    /// </summary>
    /// <param name="target">The target's silo address (<c>SiloAddress.ToParsableString()</c>).</param>
    Task<bool> DrainToAsync(string target);
}

/// <summary>Where a session runs: its node's silo and HTTP base address.</summary>
/// <param name="Silo">The owner's silo address (Orleans <c>SiloAddress.ToParsableString()</c>).</param>
/// <param name="HttpBaseAddress">The owner's <c>Gateway:Cluster:AdvertisedHttpUrl</c>, or null when it has none.</param>
/// <param name="Hosted">Whether the session runs there (false for a session that is not stored).</param>
[GenerateSerializer]
[Immutable]
internal sealed record SessionOwner(
    [property: Id(0)] string Silo,
    [property: Id(1)] string? HttpBaseAddress,
    [property: Id(2)] bool Hosted);
