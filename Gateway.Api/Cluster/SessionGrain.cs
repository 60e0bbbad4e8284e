using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Persistence;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Cluster;

/// <summary>
/// A session's ownership (<see cref="ISessionGrain"/>): while this activation lives, the local <see cref="SessionPool"/>
/// runs the session. Never collected while idle (<see cref="KeepAliveAttribute"/>): it ends when the session is removed,
/// when the node stops (graceful shutdown deactivates it and releases the session; a node that dies takes the session's
/// connection with it), or when there is no session to run.
/// </summary>
/// <remarks>
/// Placed where it is first called (<see cref="Orleans.Placement.PreferLocalPlacementAttribute"/>): a session created through a node's
/// API runs on that node, so the account password never crosses the silo link; a stored session whose node died runs
/// on whichever live node's placement round (<see cref="SessionPlacementService"/>) asks first.
/// </remarks>
[KeepAlive]
[Orleans.Placement.PreferLocalPlacement]
internal sealed class SessionGrain(
    SessionPool pool,
    ISessionStore store,
    StoredSessionCatalog catalog,
    ILocalSiloDetails silo,
    IOptions<GatewayClusterOptions> options,
    ILogger<SessionGrain> logger) : Grain, ISessionGrain
{
    private string _tenant = "";
    private string _sessionId = "";
    private bool _hosting;
    private bool _creating;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (!SessionGrainKey.TryParse(this.GetPrimaryKeyString(), out var tenant, out var sessionId))
        {
            // Only this assembly makes keys; a malformed one has nothing to host.
            DeactivateOnIdle();
            return;
        }

        (_tenant, _sessionId) = (tenant, sessionId);
        var stored = catalog.Find(tenant, sessionId) ?? await store.FindAsync(tenant, sessionId, cancellationToken);
        if (stored is not null)
        {
            // False when the pool already runs it (created here a moment ago): hosted either way.
            await pool.HostStoredAsync(stored, cancellationToken);
            _hosting = true;
            ClusterLog.SessionHosted(logger, tenant, sessionId);
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (!_hosting)
        {
            return;
        }

        _hosting = false;
        try
        {
            // Outbox and journal stay in the store: the next node to activate this grain carries on from them.
            await pool.ReleaseAsync(_tenant, _sessionId, cancellationToken);
            ClusterLog.SessionReleased(logger, _tenant, _sessionId, reason.ReasonCode.ToString());
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            ClusterLog.SessionReleaseFailed(logger, _tenant, _sessionId, ex);
        }
    }

    public Task<SessionOwner> GetOwnerAsync()
    {
        if (!_hosting && !_creating)
        {
            DeactivateOnIdle();
        }

        return Task.FromResult(Owner());
    }

    public Task<SessionOwner> ClaimAsync()
    {
        _creating = !_hosting;
        return Task.FromResult(Owner());
    }

    public Task CreatedAsync(bool created)
    {
        _creating = false;
        _hosting |= created;
        if (!_hosting)
        {
            DeactivateOnIdle();
        }

        return Task.CompletedTask;
    }

    public async Task<bool> RemoveAsync()
    {
        var removed = await pool.RemoveAsync(_tenant, _sessionId);
        _hosting = false;
        _creating = false;
        DeactivateOnIdle();
        return removed;
    }

    private SessionOwner Owner() => new(silo.SiloAddress.ToParsableString(), options.Value.AdvertisedHttpUrl, _hosting);
}
