using Gateway.Api.Cluster.Events;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Persistence;
using Microsoft.Extensions.Options;
using Orleans.Runtime.Placement;

namespace Gateway.Api.Cluster;

/// <summary>
/// A session's ownership (<see cref="ISessionGrain"/>): while this activation hosts the session, the local
/// <see cref="SessionPool"/> runs it. Never collected while idle (<see cref="KeepAliveAttribute"/>): it ends when the node
/// stops (graceful shutdown deactivates it and releases the session; a node that dies takes the session's connection
/// with it), when there is no session to run, or a few placement intervals after the session was removed (it stays as a
/// tombstone meanwhile, so that a placement round that read the store before the removal does not bring it back).
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
    ILocalSiloDetails silo,
    IOptions<GatewayClusterOptions> options,
    EventDoorbells doorbells,
    ILogger<SessionGrain> logger,
    HostedSessionGrains hosted,
    Webhooks.WebhookDispatcher webhooks) : Grain, ISessionGrain, ISessionEventsGrain, IGrainMigrationParticipant
{
    private string _tenant = "";
    private string _sessionId = "";
    private bool _hosting;
    private bool _creating;
    private bool _removed;
    private IGrainTimer? _tombstone;

    /// <summary>Set when a drain moves the session (<see cref="DrainToAsync"/>): what this activation hands the next one.</summary>
    private SessionHandoverState? _departing;

    /// <summary>Whether a drain asked this activation to migrate.</summary>
    private bool _draining;

    /// <summary>Set on the activation a drain moved here: what the previous one handed over, hosted on activation.</summary>
    private SessionHandoverState? _arriving;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (!SessionGrainKey.TryParse(this.GetPrimaryKeyString(), out var tenant, out var sessionId))
        {
            // Only this assembly makes keys; a malformed one has nothing to host.
            DeactivateOnIdle();
            return Task.CompletedTask;
        }

        (_tenant, _sessionId) = (tenant, sessionId);
        return _arriving is { } arriving ? ArriveAsync(arriving, cancellationToken) : Task.CompletedTask;
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
            if (reason.ReasonCode == DeactivationReasonCode.Migrating)
            {
                // A drain (DrainToAsync): the stream is dropped, not closed, and resumed where the grain goes next.
                var resumption = await pool.HandOverAsync(_tenant, _sessionId, cancellationToken);
                _departing = SessionHandoverState.From(resumption);

                // The next activation (and its node's webhook lanes) starts only when this one has deactivated: a
                // webhook attempt of this node still on the wire is let finish and recorded first, so the two nodes
                // never attempt one delivery at the same time.
                await SettleWebhooksAsync(cancellationToken);
                ClusterLog.SessionHandedOver(logger, _tenant, _sessionId, resumption is not null);
                return;
            }

            // Outbox and journal stay in the store: the next node to activate this grain carries on from them.
            await pool.ReleaseAsync(_tenant, _sessionId, cancellationToken);
            await SettleWebhooksAsync(cancellationToken);
            ClusterLog.SessionReleased(logger, _tenant, _sessionId, reason.ReasonCode.ToString());
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            ClusterLog.SessionReleaseFailed(logger, _tenant, _sessionId, ex);
        }
        finally
        {
            hosted.Left(this.GetPrimaryKeyString());
        }
    }

    /// <summary>
    /// Lets this node's webhook attempts of the session that are on the wire finish and be recorded (the session has
    /// left the pool, so no new one starts), within the deactivation's time.
    /// </summary>
    private async Task SettleWebhooksAsync(CancellationToken cancellationToken)
    {
        try
        {
            await webhooks.SettleAsync(_tenant, _sessionId, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            ClusterLog.WebhooksNotSettled(logger, _tenant, _sessionId);
        }
    }

    public Task<bool> DrainToAsync(string target)
    {
        if (!_hosting || _creating || target == silo.SiloAddress.ToParsableString())
        {
            // Nothing runs here, or the target is this node (a drain that asked after the session had moved here).
            return Task.FromResult(false);
        }

        if (_draining)
        {
            // Asked twice: one migration is enough (a second request would follow the grain to its new node).
            return Task.FromResult(true);
        }

        // Migration captures the request context, and the placement director takes its hint (Orleans 10
        // PreferLocalPlacementDirector: a valid hint comes before the local silo).
        _draining = true;
        RequestContext.Set(IPlacementDirector.PlacementHintKey, SiloAddress.FromParsableString(target));
        MigrateOnIdle();
        return Task.FromResult(true);
    }

    /// <summary>After <see cref="OnDeactivateAsync"/> of a migration: the handover goes with the grain.</summary>
    void IGrainMigrationParticipant.OnDehydrate(IDehydrationContext dehydrationContext)
    {
        if (_departing is { } departing)
        {
            dehydrationContext.TryAddValue(SessionHandoverState.ContextKey, departing);
        }
    }

    /// <summary>Before <see cref="OnActivateAsync"/> on the node the grain migrated to.</summary>
    void IGrainMigrationParticipant.OnRehydrate(IRehydrationContext rehydrationContext)
    {
        if (rehydrationContext.TryGetValue<SessionHandoverState>(SessionHandoverState.ContextKey, out var arriving))
        {
            _arriving = arriving;
        }
    }

    /// <summary>
    /// Hosts a session a draining node handed over, at once rather than at the next placement round, resuming its stream
    /// when there is one; if the handover cannot be used, as any stored session (new login, outbox settled).
    /// </summary>
    private async Task ArriveAsync(SessionHandoverState arriving, CancellationToken cancellationToken)
    {
        var stored = await store.FindAsync(_tenant, _sessionId, cancellationToken);
        if (stored is null)
        {
            return;
        }

        var resumption = arriving.ToResumption();
        try
        {
            await pool.HostHandedOverAsync(stored, resumption, cancellationToken);
        }
        catch (Exception ex) when (ex is Gateway.Xmpp.XmppException or FormatException)
        {
            ClusterLog.HandoverUnusable(logger, _tenant, _sessionId, ex);
            await pool.HostStoredAsync(stored, cancellationToken);
            resumption = null;
        }

        _hosting = true;
        hosted.Hosting(this.GetPrimaryKeyString());
        ClusterLog.SessionArrived(logger, _tenant, _sessionId, resumption is not null);
    }

    public async Task<SessionOwner> GetOwnerAsync()
    {
        if (!_hosting && !_creating && !_removed)
        {
            // The store, not the placement round's snapshot: the definition may have changed since the round read it
            // (PATCH on the node that ran the session), and a node that takes over must log in with the current one.
            await HostAsync(await store.FindAsync(_tenant, _sessionId));
        }

        if (!_hosting && !_creating && !_removed)
        {
            DeactivateOnIdle();
        }

        return Owner();
    }

    public async Task<SessionOwner> ClaimAsync()
    {
        if (!_hosting)
        {
            // The store, not a snapshot: a stored session whose node died and that no round placed again yet must be
            // hosted (and the create refused as a conflict), not overwritten by a new one under the same id.
            await HostAsync(await store.FindAsync(_tenant, _sessionId));
        }

        _creating = !_hosting;
        _removed = false;
        _tombstone?.Dispose();
        _tombstone = null;
        return Owner();
    }

    public Task CreatedAsync(bool created)
    {
        _creating = false;
        _hosting |= created;
        if (created)
        {
            hosted.Hosting(this.GetPrimaryKeyString());
        }

        if (!_hosting)
        {
            DeactivateOnIdle();
        }

        return Task.CompletedTask;
    }

    public async Task<bool> RemoveAsync()
    {
        if (!_hosting && !_creating)
        {
            await HostAsync(await store.FindAsync(_tenant, _sessionId));
        }

        var removed = await pool.RemoveAsync(_tenant, _sessionId);
        _hosting = false;
        hosted.Left(this.GetPrimaryKeyString());
        _creating = false;

        // A tombstone for a while rather than gone at once: a placement round that read the store before the removal
        // may still ask for this session, and must find it removed rather than host it again from its snapshot.
        _removed = true;
        _tombstone?.Dispose();
        _tombstone = this.RegisterGrainTimer(static (grain, _) =>
        {
            grain.DeactivateOnIdle();
            return Task.CompletedTask;
        }, this, TombstoneTime(), Timeout.InfiniteTimeSpan);
        return removed;
    }

    // The event side (ISessionEventsGrain): other nodes follow the session's events here.

    public async Task<SessionWatch> WatchAsync(IRemoteEventsObserver observer, string watcherSilo, TimeSpan lease)
    {
        ArgumentNullException.ThrowIfNull(observer);

        // As GetOwnerAsync: a stored session that runs nowhere is hosted here first; the key holds the caller's tenant,
        // so another tenant's session id finds nothing stored and is answered as unknown.
        var owner = await GetOwnerAsync();
        if (!owner.Hosted || pool.Find(_tenant, _sessionId) is not { } session)
        {
            return new SessionWatch(Hosted: false, owner.Silo, (int)Xmpp.Pool.SessionState.Stopped, 0);
        }

        // The watcher's own node runs it: its dispatcher has the events already.
        if (watcherSilo != owner.Silo)
        {
            doorbells.Watch(_tenant, _sessionId, observer, watcherSilo, lease);
        }

        var info = session.Info;
        return new SessionWatch(Hosted: true, owner.Silo, (int)info.State, info.LastEventId);
    }

    public Task UnwatchAsync(IRemoteEventsObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        doorbells.Unwatch(_tenant, _sessionId, observer);
        return Task.CompletedTask;
    }

    /// <summary>Several placement intervals: longer than a round that read the store before the removal can still take.</summary>
    private TimeSpan TombstoneTime() => options.Value.PlacementInterval * 4;

    private async Task HostAsync(StoredSession? stored)
    {
        if (stored is null)
        {
            return;
        }

        // False when the pool already runs it: hosted either way.
        await pool.HostStoredAsync(stored);
        _hosting = true;
        hosted.Hosting(this.GetPrimaryKeyString());
        ClusterLog.SessionHosted(logger, _tenant, _sessionId);
    }

    private SessionOwner Owner() => new(silo.SiloAddress.ToParsableString(), options.Value.AdvertisedHttpUrl, _hosting);
}
