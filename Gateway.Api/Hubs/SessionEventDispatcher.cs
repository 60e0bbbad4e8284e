using System.Collections.Concurrent;
using Gateway.Api.Contracts;
using Gateway.Api.Events;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Persistence;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Hubs;

/// <summary>
/// Drains the pool's events into the hub, exactly once and in order per subscription, without letting one subscriber
/// hold up another.
/// </summary>
/// <remarks>
/// <para>
/// The loop that reads the pool never waits on a client: it builds each event's hub message once (one serialisation,
/// shared by every subscriber, see <see cref="HubMessages"/>) and hands it to the bounded queue of each subscription of
/// the session (one connection, one session). Each subscription has its own pump, which writes its queue to its
/// connection in order; a slow connection only ever delays itself. (When a pump sleeps with nothing queued, the loop
/// starts the write itself: SignalR copies it into the connection's buffer without waiting, or the pump takes over the
/// write that has to wait.)
/// </para>
/// <para>
/// Each subscription knows the next event id it must get. When it starts from an earlier id, or a live event skips ids
/// (the pool's buffer dropped some), its pump replays: it reads the missed events from the event log (where the pool
/// journals every event before it hands it out), page by page, while the loop leaves its queue alone; then it switches
/// back to live events and reads the log once more for what was handed out before the switch. Ids below the next one
/// are skipped, so an event that comes both ways is delivered once.
/// </para>
/// <para>
/// A subscriber that falls behind ends, it is not waited for: when its queue would exceed
/// <see cref="GatewayHubOptions.SubscriptionQueueEvents"/> or <see cref="GatewayHubOptions.SubscriptionQueueBytes"/>, its
/// subscription ends with <see cref="IGatewayClient.OnSubscriptionEnded"/> (reason <c>slow-consumer</c>); when one write
/// to its connection outlasts <see cref="GatewayHubOptions.SendTimeout"/>, the connection is closed. Either way the
/// client resumes with <c>SubscribeAfter</c> from the last event it got, and the event log supplies the rest.
/// </para>
/// </remarks>
public sealed class SessionEventDispatcher(
    ISessionPool pool,
    HubConnectionRegistry connections,
    IOptions<GatewayHubOptions> options,
    ILogger<SessionEventDispatcher> logger,
    TimeProvider? timeProvider = null,
    IEnumerable<ISessionEventObserver>? observers = null) : BackgroundService
{
    /// <summary>The most events one replay read asks the log for.</summary>
    internal const int MaxReplayPageSize = 100;

    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    private readonly ISessionPool _pool = pool;
    private readonly ILogger _logger = logger;

    /// <summary>The pool, for the subscriptions' replay reads.</summary>
    internal ISessionPool Pool => _pool;

    /// <summary>The dispatcher's logger, which its subscriptions share.</summary>
    internal ILogger Logger => _logger;

    /// <summary>The hub's options, which bound every subscription.</summary>
    internal GatewayHubOptions Options => _options;
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly GatewayHubOptions _options = options.Value;
    private readonly ISessionEventObserver[] _observers = observers?.ToArray() ?? [];
    private readonly CancellationTokenSource _stopping = new();
    private int _disposed;

    // (tenant, session) → connection id → subscription, read lock-free by the dispatch loop. Every change to the three
    // maps happens under _subscriptionsLock (subscribing is rare; dispatching is not).
    private readonly ConcurrentDictionary<(string Tenant, string SessionId), ConcurrentDictionary<string, HubSubscription>> _bySession = new();
    private readonly Lock _subscriptionsLock = new();

    // Connection id → its subscriptions, for disconnects.
    private readonly Dictionary<string, Dictionary<(string Tenant, string SessionId), HubSubscription>> _byConnection = new(StringComparer.Ordinal);

    // The latest subscription per connection and session whose pump has not finished, even once it is unsubscribed or
    // ended: a new subscription's pump waits for it, so two pumps never write the same session to one connection at once.
    private readonly Dictionary<(string ConnectionId, string Tenant, string SessionId), HubSubscription> _pumping = new();

    /// <summary>Whether the connection's subscription to the session gets live events (replay done); for tests.</summary>
    internal bool IsLive(string tenant, string sessionId, string connectionId) =>
        _bySession.TryGetValue((tenant, sessionId), out var subs) && subs.TryGetValue(connectionId, out var s) && s.IsLive;

    /// <summary>Whether any connection is subscribed to the session (cross-node events ask, to stop following it).</summary>
    internal bool HasSubscriptions(string tenant, string sessionId) =>
        _bySession.TryGetValue((tenant, sessionId), out var subs) && !subs.IsEmpty;

    /// <summary>How many subscriptions exist (for tests).</summary>
    internal int SubscriptionCount => _bySession.Values.Sum(s => s.Count);

    /// <summary>
    /// Subscribes the connection to the session's events after <paramref name="afterEventId"/>, replaying what the log
    /// holds first. With <paramref name="fromNow"/>, the start is simply where the session is now, and retention is not
    /// checked. Replaces the connection's earlier subscription to the session, if any.
    /// </summary>
    /// <exception cref="HubException">Events after <paramref name="afterEventId"/> were already dropped by retention.</exception>
    public async Task SubscribeAsync(string tenant, string sessionId, string connectionId, long afterEventId, bool fromNow, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterEventId);
        if (!connections.TryGet(connectionId, out var connection))
        {
            // Only a connection that closed while it subscribed; nothing can reach it any more.
            throw new HubException("connection-closed: the connection is closing");
        }

        EventPage? first = null;
        if (!fromNow)
        {
            first = await _pool.ReadHistoryAsync(tenant, sessionId, afterEventId, ReplayPageSize, ReplayPageBytes, cancellationToken);
            if (first.Gap)
            {
                throw new HubException(
                    $"replay-gap: events after {afterEventId} are no longer kept; the oldest available is {first.OldestAvailableEventId}");
            }
        }

        var key = (tenant, sessionId);
        var pumpKey = (connectionId, tenant, sessionId);
        var subscription = new HubSubscription(this, connection, tenant, sessionId, afterEventId + 1);
        HubSubscription? previous;
        lock (_subscriptionsLock)
        {
            _bySession.GetOrAdd(key, _ => new(StringComparer.Ordinal))[connectionId] = subscription;
            if (!_byConnection.TryGetValue(connectionId, out var mine))
            {
                _byConnection[connectionId] = mine = [];
            }

            mine[key] = subscription;
            _pumping.TryGetValue(pumpKey, out previous);
            _pumping[pumpKey] = subscription;
        }

        previous?.Cancel();

        // Replaying from the start: the loop leaves its queue alone until the log has been read up to now.
        subscription.Start(first, previous);
    }

    /// <summary>Stops delivering the session's events to the connection. False when it was not subscribed.</summary>
    public bool Unsubscribe(string tenant, string sessionId, string connectionId)
    {
        HubSubscription? subscription;
        lock (_subscriptionsLock)
        {
            if (!_bySession.TryGetValue((tenant, sessionId), out var subs) || !subs.TryGetValue(connectionId, out subscription))
            {
                return false;
            }

            RemoveLocked(subscription);
        }

        subscription.Cancel();
        return true;
    }

    /// <summary>Forgets every subscription of a closed connection.</summary>
    public void RemoveConnection(string connectionId)
    {
        List<HubSubscription> removed;
        lock (_subscriptionsLock)
        {
            if (!_byConnection.TryGetValue(connectionId, out var mine))
            {
                return;
            }

            removed = [.. mine.Values];
            foreach (var subscription in removed)
            {
                RemoveLocked(subscription);
            }
        }

        foreach (var subscription in removed)
        {
            subscription.Cancel();
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await base.StopAsync(cancellationToken);

        // Every pump sees the stopping token (each waits for its predecessor first, so the latest ones cover all).
        Task[] pumps;
        lock (_subscriptionsLock)
        {
            pumps = [.. _pumping.Values.Select(s => s.Completion)];
        }

        // Bounded by its own deadline too: the host stops this service before the session pool, whose graceful stop
        // (acknowledgements, closing streams, the last journal commit) needs the shutdown time more than a pump stuck
        // on a connection that does not read. What a pump did not deliver, SubscribeAfter replays.
        try
        {
            await Task.WhenAll(pumps).WaitAsync(PumpStopTimeout, _time, cancellationToken);
        }
        catch (Exception ex) when (ex is TimeoutException || (ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            // Out of time: the pumps end with the process. Throwing here would make the host's stop fail and the
            // process abort instead of exiting.
            HubLog.PumpsAbandonedAtStop(_logger, pumps.Count(p => !p.IsCompleted));
        }
    }

    /// <summary>How long a stop waits for the subscriptions' pumps to finish.</summary>
    internal static readonly TimeSpan PumpStopTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Cancelled when the dispatcher stops (also once it is disposed).</summary>
    internal CancellationToken StoppingToken => _stopping.Token;

    /// <summary>
    /// Idempotent: the container disposes the instance once as itself and once as the hosted service. The token source
    /// is cancelled, never disposed (it has no timer or wait handle to free): a host run by the minimal-hosting entry
    /// point can dispose its services while another caller's stop is still going through them, and a disposed source
    /// would make that stop throw.
    /// </summary>
    public override void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _stopping.Cancel();
            base.Dispose();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var retryDelay = FirstRetryDelay;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // The only await of the loop: delivering is the pumps' work.
                await foreach (var e in _pool.ReadEventsAsync(stoppingToken))
                {
                    retryDelay = FirstRetryDelay;
                    Dispatch(e);
                    Notify(e);
                }

                // The pool completes the stream only when it is disposed: nothing more will come.
                HubLog.EventStreamEnded(_logger);
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Never let the host die because the event source hiccupped: the REST API stays useful without events.
                HubLog.EventStreamFailed(_logger, retryDelay, ex);
                try
                {
                    await Task.Delay(retryDelay, _time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                retryDelay = TimeSpan.FromTicks(Math.Min(retryDelay.Ticks * 2, MaxRetryDelay.Ticks));
            }
        }
    }

    /// <summary>Hands one live event to the queue of every subscription of its session; never waits.</summary>
    internal void Dispatch(SessionEvent e)
    {
        if (!_bySession.TryGetValue((e.Tenant, e.SessionId), out var subs) || subs.IsEmpty)
        {
            return;
        }

        // Built once for every subscriber.
        if (HubMessages.ForEvent(e) is not { } message)
        {
            HubLog.UnknownEvent(_logger, e.GetType().Name);
            return;
        }

        foreach (var subscription in subs.Values)
        {
            int bytes;
            try
            {
                // Serialises on the first call per protocol, then answers from the message's cache.
                bytes = message.GetSerializedMessage(subscription.Protocol).Length;
            }
            catch (Exception ex)
            {
                // A bug (an event that cannot be serialised), not a client's fault; every subscriber would fail alike.
                HubLog.DispatchFailed(_logger, KindOf(e), e.EventId, e.Tenant, e.SessionId, subscription.ConnectionId, ex);
                return;
            }

            subscription.Offer(e, message, bytes);
        }
    }

    /// <summary>Tells every other observer (event streams, webhooks) of the event; none of them waits.</summary>
    private void Notify(SessionEvent e)
    {
        foreach (var observer in _observers)
        {
            try
            {
                observer.OnEvent(e);
            }
            catch (Exception ex)
            {
                HubLog.ObserverFailed(_logger, observer.GetType().Name, e.EventId, e.Tenant, e.SessionId, ex);
            }
        }
    }

    /// <summary>How many events one replay read may ask for: what the subscription's queue may hold, and no more than a page.</summary>
    internal int ReplayPageSize => Math.Min(MaxReplayPageSize, _options.SubscriptionQueueEvents);

    /// <summary>The stored bytes one replay read may bring at most (one event more when a single one is larger): what the queue may hold.</summary>
    internal long ReplayPageBytes => _options.SubscriptionQueueBytes;

    /// <summary>A pump has finished: forget it, and its subscription if that is still registered.</summary>
    internal void Completed(HubSubscription subscription)
    {
        lock (_subscriptionsLock)
        {
            var pumpKey = (subscription.ConnectionId, subscription.Tenant, subscription.SessionId);
            if (_pumping.TryGetValue(pumpKey, out var latest) && latest == subscription)
            {
                _pumping.Remove(pumpKey);
            }

            RemoveLocked(subscription);
        }
    }

    /// <summary>Removes this subscription (not a newer one of the same connection and session) from the maps.</summary>
    private void RemoveLocked(HubSubscription subscription)
    {
        var key = (subscription.Tenant, subscription.SessionId);
        if (_bySession.TryGetValue(key, out var subs) && subs.TryRemove(KeyValuePair.Create(subscription.ConnectionId, subscription)) && subs.IsEmpty)
        {
            _bySession.TryRemove(KeyValuePair.Create(key, subs));
        }

        if (_byConnection.TryGetValue(subscription.ConnectionId, out var mine)
            && mine.TryGetValue(key, out var registered)
            && registered == subscription)
        {
            mine.Remove(key);
            if (mine.Count == 0)
            {
                _byConnection.Remove(subscription.ConnectionId);
            }
        }
    }

    internal static string KindOf(SessionEvent e) => e switch
    {
        MessageReceived => EventKinds.Message,
        PresenceReceived => EventKinds.Presence,
        RosterPushed => EventKinds.RosterPush,
        IqRequestReceived => EventKinds.IqRequest,
        SessionStateChanged => EventKinds.SessionState,
        MessageStatusChanged => EventKinds.MessageStatus,
        BlocklistChanged => EventKinds.BlocklistPush,
        RoomMessageReceived => EventKinds.RoomMessage,
        RoomOccupantChanged => EventKinds.RoomOccupant,
        RoomSubjectChanged => EventKinds.RoomSubject,
        RoomStateChanged => EventKinds.RoomState,
        _ => e.GetType().Name,
    };
}
