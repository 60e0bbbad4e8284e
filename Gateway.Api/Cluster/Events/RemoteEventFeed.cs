using System.Collections.Concurrent;
using System.Threading.Channels;
using Gateway.Api.Contracts;
using Gateway.Api.Events;
using Gateway.Api.Hubs;
using Gateway.Xmpp.Pool;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Cluster.Events;

/// <summary>
/// The subscribing node's side of cross-node events: for each session another node runs and a subscriber here wants
/// (hub or event stream), it registers with the session's grain (<see cref="ISessionEventsGrain.WatchAsync"/>), takes
/// the owner's doorbells (<see cref="IRemoteEventsObserver"/>), reads what they announce from the journal in the shared
/// store, and hands each event to this node's hub dispatcher and event streams, as the local pool's events are.
/// </summary>
/// <remarks>
/// <para>
/// Exactly once and in order stays the subscriptions' own business, as for local events: each knows the next id it
/// needs, skips what it had, and replays from the journal when a live event skips ids. The feed only has to hand events
/// on in order, once per node (one journal read per session per doorbell, whatever the number of subscribers).
/// </para>
/// <para>
/// Every <see cref="GatewayClusterOptions.PlacementInterval"/> it renews its registrations (a lease of three intervals
/// on the owner), which also finds a session's new owner after its node died or left (the re-registration reaches the
/// grain wherever it is active now), catches up from the newest id in the answer (a doorbell lost or rung by the old
/// owner costs latency, not events), and forgets sessions no subscriber here wants any more, that were removed, or
/// that now run on this node.
/// </para>
/// <para>
/// Bounded: a session waits in the reader's queue at most once, a read brings at most a page, and the events go to the
/// subscriptions' bounded queues, which end a subscriber that falls behind (<c>slow-consumer</c>) as they do for local
/// events. Webhooks are not fed: the owner delivers them (docs/scale-out.md).
/// </para>
/// </remarks>
internal sealed class RemoteEventFeed(
    IGrainFactory grains,
    ISessionPool pool,
    SessionEventDispatcher hub,
    EventStreamRegistry streams,
    ILocalSiloDetails silo,
    IOptions<GatewayClusterOptions> options,
    TimeProvider time,
    ILogger<RemoteEventFeed> logger) : BackgroundService, IRemoteEventsObserver, IRemoteSessionEvents
{
    /// <summary>Events per journal read.</summary>
    internal const int PageSize = 100;

    /// <summary>Stored bytes per journal read (one event more when a single one is larger).</summary>
    internal const long PageBytes = 1_000_000;

    /// <summary>Registrations renewed at once.</summary>
    private const int RefreshParallelism = 16;

    private readonly ConcurrentDictionary<(string Tenant, string SessionId), FollowedSession> _sessions = new();

    // A session is written at most once until the reader took it (FollowedSession.Queued): bounded by the sessions followed.
    private readonly Channel<FollowedSession> _due = Channel.CreateUnbounded<FollowedSession>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _selfGate = new();
    private IRemoteEventsObserver? _self;

    /// <summary>How many sessions this node follows (tests).</summary>
    internal int FollowedCount => _sessions.Count;

    private TimeSpan RefreshInterval => options.Value.PlacementInterval;

    /// <summary>Three renewals: one lost call does not end a registration.</summary>
    private TimeSpan Lease => RefreshInterval * 3;

    private string LocalSilo => silo.SiloAddress.ToParsableString();

    public async Task<RemoteSessionInfo?> FollowAsync(string tenant, string sessionId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        if (!InputRules.IsValidSessionId(sessionId))
        {
            return null;
        }

        // Registered before the owner is asked, so a doorbell that overtakes the answer is kept (as the target).
        var key = (tenant, sessionId);
        FollowedSession followed;
        while (true)
        {
            followed = _sessions.GetOrAdd(key, k => new FollowedSession(k.Tenant, k.SessionId, time.GetUtcNow()));
            lock (followed.Gate)
            {
                // One a refresh is just forgetting is not reused: the loop adds a new one.
                if (!followed.Removed)
                {
                    followed.WantedAt = time.GetUtcNow();
                    break;
                }
            }
        }

        SessionWatch watch;
        try
        {
            watch = await Grain(tenant, sessionId).WatchAsync(Self(), LocalSilo, Lease).WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is OrleansException or TimeoutException)
        {
            throw new SessionUnavailableException(sessionId, SessionState.Connecting, "The cluster could not be reached to follow this session; try again.");
        }

        if (!watch.Hosted || watch.OwnerSilo == LocalSilo)
        {
            // Unknown (or another tenant's), or it runs here now and this node's pool hands its events out.
            Forget(followed, watch.Hosted ? "runs on this node" : "not found");
            return watch.Hosted ? new RemoteSessionInfo((SessionState)watch.State, watch.LastEventId) : null;
        }

        Answered(followed, watch);
        return new RemoteSessionInfo((SessionState)watch.State, watch.LastEventId);
    }

    public bool IsFollowed(string tenant, string sessionId) => _sessions.ContainsKey((tenant, sessionId));

    /// <summary>The owners' doorbells: never waits (the reader does the work).</summary>
    public Task RingAsync(IReadOnlyList<SessionDoorbell> bells)
    {
        ArgumentNullException.ThrowIfNull(bells);
        foreach (var bell in bells)
        {
            if (_sessions.TryGetValue((bell.Tenant, bell.SessionId), out var followed))
            {
                Ring(followed, bell.LastEventId);
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>One refresh round (also run by tests): renews, re-targets or forgets every followed session.</summary>
    internal async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await Parallel.ForEachAsync(
            _sessions.Values.ToArray(),
            new ParallelOptions { MaxDegreeOfParallelism = RefreshParallelism, CancellationToken = cancellationToken },
            async (followed, _) =>
            {
                try
                {
                    await RefreshAsync(followed, now);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Typically the owner just died: the directory forgets it, and the next round reaches the new one.
                    ClusterEventsLog.RefreshFailed(logger, followed.Tenant, followed.SessionId, ex.GetType().Name);
                }
            });
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        lock (_selfGate)
        {
            if (_self is not null)
            {
                // Owners that ring it from now on fail and forget this node.
                grains.DeleteObjectReference<IRemoteEventsObserver>(_self);
                _self = null;
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.WhenAll(ReadAsync(stoppingToken), RefreshLoopAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task RefreshAsync(FollowedSession followed, DateTimeOffset now)
    {
        var key = (followed.Tenant, followed.SessionId);
        if (!hub.HasSubscriptions(key.Tenant, key.SessionId) && !streams.HasStreams(key.Tenant, key.SessionId))
        {
            // A subscriber marks the session wanted before it subscribes: one that came meanwhile keeps it.
            bool unwanted;
            lock (followed.Gate)
            {
                unwanted = followed.WantedAt + RefreshInterval < now;
                followed.Removed |= unwanted;
            }

            if (unwanted)
            {
                Forget(followed, "no subscriber on this node");
                await Grain(key.Tenant, key.SessionId).UnwatchAsync(Self());
                return;
            }
        }

        var watch = await Grain(key.Tenant, key.SessionId).WatchAsync(Self(), LocalSilo, Lease);
        if (!watch.Hosted)
        {
            Forget(followed, "removed");
        }
        else if (watch.OwnerSilo == LocalSilo)
        {
            Forget(followed, "runs on this node");
        }
        else
        {
            Answered(followed, watch);
        }
    }

    /// <summary>The owner answered: the first answer sets where the feed starts, every one is a doorbell.</summary>
    private void Answered(FollowedSession followed, SessionWatch watch)
    {
        bool first;
        lock (followed.Gate)
        {
            // Also when the first FollowAsync's call failed and this is a refresh's answer.
            first = followed.Position < 0;
            if (first)
            {
                // What came before is the subscribers' replay, from the journal; the feed hands on what comes after.
                followed.Position = watch.LastEventId;
            }
        }

        if (first)
        {
            ClusterEventsLog.Following(logger, followed.Tenant, followed.SessionId, watch.OwnerSilo, watch.LastEventId);
        }

        Ring(followed, watch.LastEventId);
    }

    private async Task RefreshLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(RefreshInterval, time);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            try
            {
                await RefreshAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                ClusterEventsLog.RefreshRoundFailed(logger, RefreshInterval, ex);
            }
        }
    }

    private async Task ReadAsync(CancellationToken cancellationToken)
    {
        await foreach (var followed in _due.Reader.ReadAllAsync(cancellationToken))
        {
            await CatchUpAsync(followed, cancellationToken);
        }
    }

    /// <summary>Reads the session's journal after <see cref="FollowedSession.Position"/> up to its target and hands the events on.</summary>
    private async Task CatchUpAsync(FollowedSession followed, CancellationToken cancellationToken)
    {
        while (true)
        {
            long position, target;
            lock (followed.Gate)
            {
                (position, target) = (followed.Position, followed.Target);
                if (followed.Removed || position >= target)
                {
                    followed.Queued = false;
                    return;
                }
            }

            Xmpp.Pool.Persistence.EventPage page;
            try
            {
                page = await pool.ReadHistoryAsync(followed.Tenant, followed.SessionId, position, PageSize, PageBytes, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The next ring or refresh queues it again (its position is still behind its target).
                ClusterEventsLog.ReadFailed(logger, followed.Tenant, followed.SessionId, ex);
                lock (followed.Gate)
                {
                    followed.Queued = false;
                }

                return;
            }

            if (page.Events.Count == 0)
            {
                lock (followed.Gate)
                {
                    if (followed.Target == target)
                    {
                        // The journal has nothing after the position: the owner answered with an id it had not
                        // committed yet. Its ring once it hands the event out brings it.
                        followed.Target = position;
                        followed.Queued = false;
                        return;
                    }
                }

                continue;
            }

            foreach (var e in page.Events)
            {
                // As the dispatcher's loop does for the local pool's events; neither waits.
                hub.Dispatch(e);
                streams.OnEvent(e);
            }

            lock (followed.Gate)
            {
                followed.Position = Math.Max(followed.Position, page.Events[^1].EventId);
            }
        }
    }

    private void Ring(FollowedSession followed, long eventId)
    {
        lock (followed.Gate)
        {
            followed.Target = Math.Max(followed.Target, eventId);
            if (followed.Queued || followed.Removed || followed.Position < 0 || followed.Position >= followed.Target)
            {
                return;
            }

            followed.Queued = true;
        }

        _due.Writer.TryWrite(followed);
    }

    private void Forget(FollowedSession followed, string reason)
    {
        lock (followed.Gate)
        {
            followed.Removed = true;
        }

        if (_sessions.TryRemove(KeyValuePair.Create((followed.Tenant, followed.SessionId), followed)))
        {
            ClusterEventsLog.Unfollowed(logger, followed.Tenant, followed.SessionId, reason);
        }
    }

    private ISessionEventsGrain Grain(string tenant, string sessionId) =>
        grains.GetGrain<ISessionEventsGrain>(SessionGrainKey.Format(tenant, sessionId));

    /// <summary>This node's observer reference, made on first use (outside any grain: Orleans refuses it inside one).</summary>
    private IRemoteEventsObserver Self()
    {
        lock (_selfGate)
        {
            return _self ??= grains.CreateObjectReference<IRemoteEventsObserver>(this);
        }
    }
}
