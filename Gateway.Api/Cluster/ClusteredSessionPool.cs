using Gateway.Api.Contracts;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Persistence;

namespace Gateway.Api.Cluster;

/// <summary>
/// The <see cref="ISessionPool"/> of a clustered node: creating and removing a session go through the session's grain
/// (<see cref="ISessionGrain"/>), so that one node runs it; everything else is the local pool's, which answers for the
/// sessions this node runs. (Calls about a session another node runs are forwarded there before they reach the pool:
/// Forwarding/SessionForwardingMiddleware, docs/scale-out.md.)
/// </summary>
internal sealed class ClusteredSessionPool(SessionPool local, IGrainFactory grains, ILocalSiloDetails silo, ILogger<ClusteredSessionPool> logger) : ISessionPool
{
    /// <summary>This node's pool.</summary>
    public SessionPool Local => local;

    public async Task<SessionInfo> CreateAsync(string tenant, SessionSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        ArgumentNullException.ThrowIfNull(spec);

        // The id is the grain's key, so it is chosen here when the caller left it out; the pool checks its form.
        var id = spec.Id ?? SessionPool.NewSessionId();
        if (!InputRules.IsValidSessionId(id))
        {
            return await local.CreateAsync(tenant, spec, cancellationToken);
        }

        var grain = grains.GetGrain<ISessionGrain>(SessionGrainKey.Format(tenant, id));
        var owner = await CallAsync(id, () => grain.ClaimAsync().WaitAsync(cancellationToken));
        if (owner.Silo != silo.SiloAddress.ToParsableString())
        {
            // Active on another node: the session exists there, or is being created there right now.
            ClusterLog.CreateOwnedElsewhere(logger, tenant, id, owner.Silo);
            throw new SessionConflictException(id);
        }

        if (owner.Hosted)
        {
            // Stored already (and now running here): the claim did not mark a creation, so there is nothing to end.
            throw new SessionConflictException(id);
        }

        var created = false;
        try
        {
            // Created by this node's pool, so the password stays in this process and the pool's own exceptions
            // (refused login, conflict, limits) reach the API as they are.
            var info = await local.CreateAsync(tenant, spec with { Id = id }, cancellationToken);
            created = true;
            return info;
        }
        finally
        {
            await CallAsync(id, () => grain.CreatedAsync(created));
        }
    }

    public IReadOnlyList<SessionInfo> List(string tenant) => local.List(tenant);

    /// <summary>The local pool's: a change of a session another node runs was forwarded there before it reached this.</summary>
    public Task<SessionInfo?> UpdateAsync(string tenant, string sessionId, SessionSpecChange change, CancellationToken cancellationToken = default) =>
        local.UpdateAsync(tenant, sessionId, change, cancellationToken);

    public IManagedSession? Find(string tenant, string sessionId) => local.Find(tenant, sessionId);

    public Task<bool> RemoveAsync(string tenant, string sessionId, CancellationToken cancellationToken = default)
    {
        if (!InputRules.IsValidSessionId(sessionId))
        {
            return Task.FromResult(false);
        }

        var grain = grains.GetGrain<ISessionGrain>(SessionGrainKey.Format(tenant, sessionId));
        return CallAsync(sessionId, () => grain.RemoveAsync().WaitAsync(cancellationToken));
    }

    public PoolHealth GetHealth() => local.GetHealth();

    public Task<EventPage> ReadHistoryAsync(string tenant, string sessionId, long afterEventId, int limit, long maxBytes, CancellationToken cancellationToken = default) =>
        local.ReadHistoryAsync(tenant, sessionId, afterEventId, limit, maxBytes, cancellationToken);

    public IAsyncEnumerable<SessionEvent> ReadEventsAsync(CancellationToken cancellationToken = default) => local.ReadEventsAsync(cancellationToken);

    /// <summary>A grain call; the cluster being unreachable is the session being unavailable for now (503), not a server error.</summary>
    private static async Task<T> CallAsync<T>(string sessionId, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception ex) when (ex is OrleansException or TimeoutException)
        {
            throw new SessionUnavailableException(sessionId, SessionState.Connecting, "The cluster could not be reached to place this session; try again.");
        }
    }

    private static async Task CallAsync(string sessionId, Func<Task> call) =>
        await CallAsync(sessionId, async () =>
        {
            await call();
            return true;
        });
}
