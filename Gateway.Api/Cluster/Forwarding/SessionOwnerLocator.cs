using Microsoft.Extensions.Options;

namespace Gateway.Api.Cluster.Forwarding;

/// <summary>
/// Asks a session's grain where the session runs (<see cref="ISessionGrain.GetOwnerAsync"/>), within a time limit,
/// and keeps the answer for a short while when it names another node (<see cref="SessionOwnerCache"/>).
/// </summary>
internal sealed class SessionOwnerLocator(IGrainFactory grains, ILocalSiloDetails silo, SessionOwnerCache cache, IOptions<ClusterForwardingOptions> options, ILogger<SessionOwnerLocator> logger)
{
    /// <summary>This node's silo, as <see cref="SessionOwner.Silo"/> names it.</summary>
    public string LocalSilo => silo.SiloAddress.ToParsableString();

    /// <summary>
    /// The owner: the one kept from a recent answer unless <paramref name="fresh"/>, else the grain's answer. Null when
    /// the grain did not answer in time or failed (a node that died and is not yet declared dead, the store being
    /// unreachable): the caller answers 503, the client retries.
    /// </summary>
    public async Task<SessionOwner?> FindAsync(string tenant, string sessionId, bool fresh, CancellationToken cancellationToken)
    {
        if (!fresh && cache.TryGet(tenant, sessionId, out var kept))
        {
            return kept;
        }

        SessionOwner owner;
        try
        {
            var grain = grains.GetGrain<ISessionGrain>(SessionGrainKey.Format(tenant, sessionId));
            owner = await grain.GetOwnerAsync().WaitAsync(options.Value.LookupTimeout, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Any failure of the lookup means the same to the caller: where the session runs is not known right now.
            ForwardingLog.LookupFailed(logger, tenant, sessionId, ex.GetType().Name);
            return null;
        }

        // Only an owner calls are forwarded to is kept: "not stored" or "here" can change at any moment from this node.
        if (ForwardingPlan.AfterLookup(owner, LocalSilo) == ForwardingAction.Forward)
        {
            cache.Remember(tenant, sessionId, owner);
        }

        return owner;
    }

    /// <summary>Forgets where a session that is being removed ran: after the removal, calls for it are answered 404 here.</summary>
    public void Forget(string tenant, string sessionId) => cache.Forget(tenant, sessionId);

    /// <summary>Stops assuming the session runs at <paramref name="owner"/>: a call there just showed it does not, or could not tell.</summary>
    public void Forget(string tenant, string sessionId, SessionOwner owner, string reason)
    {
        if (cache.Forget(tenant, sessionId, owner))
        {
            ForwardingLog.OwnerForgotten(logger, tenant, sessionId, owner.HttpBaseAddress ?? owner.Silo, reason);
        }
    }
}
