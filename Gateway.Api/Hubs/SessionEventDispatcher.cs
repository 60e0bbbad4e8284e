using System.Collections.Concurrent;
using Gateway.Api.Contracts;
using Gateway.Xmpp.Pool;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Hubs;

/// <summary>
/// Drains the pool's events into the hub, exactly once and in order per subscription. Each subscription (one
/// connection, one session) knows the next event id it must get. Live events go straight to the connection when they
/// are that next one; when a subscription starts from an earlier event id, or a live event skips ids (the pool's buffer
/// dropped some), the subscription switches to replay: it reads the missed events from the event log (where the pool
/// journals every event before it hands it out) and ignores live ones until it has caught up. A per-subscription
/// lock makes the switch back to live delivery race-free. A send that fails or outlasts
/// <see cref="GatewayHubOptions.SendTimeout"/> is logged and skipped; nothing a client does stops the loop.
/// </summary>
public sealed class SessionEventDispatcher(
    ISessionPool pool,
    IHubContext<GatewayHub, IGatewayClient> hub,
    IOptions<GatewayHubOptions> options,
    ILogger<SessionEventDispatcher> logger,
    TimeProvider? timeProvider = null) : BackgroundService
{
    /// <summary>How many events one replay read asks the log for.</summary>
    internal const int ReplayPageSize = 500;

    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly TimeSpan _sendTimeout = options.Value.SendTimeout;
    private readonly CancellationTokenSource _stopping = new();
    private int _disposed;

    // (tenant, session) → connection id → subscription; and connection id → its subscriptions, for disconnects.
    private readonly ConcurrentDictionary<(string Tenant, string SessionId), ConcurrentDictionary<string, Subscription>> _bySession = new();
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<(string Tenant, string SessionId), Subscription>> _byConnection = new();

    /// <summary>Whether the connection's subscription to the session gets live events (replay done); for tests.</summary>
    internal bool IsLive(string tenant, string sessionId, string connectionId) =>
        _bySession.TryGetValue((tenant, sessionId), out var subs) && subs.TryGetValue(connectionId, out var s) && !s.Replaying;

    /// <summary>How many subscriptions exist (for tests).</summary>
    internal int SubscriptionCount => _bySession.Values.Sum(s => s.Count);

    /// <summary>
    /// Subscribes the connection to the session's events after <paramref name="afterEventId"/>, replaying what the log
    /// holds first. With <paramref name="fromNow"/>, the start is simply where the session is now, and retention is not
    /// checked.
    /// </summary>
    /// <exception cref="HubException">Events after <paramref name="afterEventId"/> were already dropped by retention.</exception>
    public async Task SubscribeAsync(string tenant, string sessionId, string connectionId, long afterEventId, bool fromNow, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterEventId);
        Gateway.Xmpp.Pool.Persistence.EventPage? first = null;
        if (!fromNow)
        {
            first = await pool.ReadHistoryAsync(tenant, sessionId, afterEventId, ReplayPageSize, cancellationToken);
            if (first.Gap)
            {
                throw new HubException(
                    $"replay-gap: events after {afterEventId} are no longer kept; the oldest available is {first.OldestAvailableEventId}");
            }
        }

        var key = (tenant, sessionId);
        var subscription = new Subscription(connectionId, tenant, sessionId, afterEventId + 1, CancellationTokenSource.CreateLinkedTokenSource(StoppingToken));
        var previous = default(Subscription);
        _bySession.AddOrUpdate(
            key,
            _ => new ConcurrentDictionary<string, Subscription>(StringComparer.Ordinal) { [connectionId] = subscription },
            (_, subs) =>
            {
                previous = subs.TryGetValue(connectionId, out var old) ? old : null;
                subs[connectionId] = subscription;
                return subs;
            });
        _byConnection.GetOrAdd(connectionId, _ => new())[key] = subscription;
        previous?.Cancel();

        // Replaying from the start: live events are ignored until the log has been read up to them.
        subscription.Replay = Task.Run(() => ReplayAsync(subscription, first, mustReach: 0), CancellationToken.None);
    }

    /// <summary>Stops delivering the session's events to the connection. False when it was not subscribed.</summary>
    public bool Unsubscribe(string tenant, string sessionId, string connectionId)
    {
        var key = (tenant, sessionId);
        if (_byConnection.TryGetValue(connectionId, out var mine))
        {
            mine.TryRemove(key, out _);
        }

        if (_bySession.TryGetValue(key, out var subs) && subs.TryRemove(connectionId, out var subscription))
        {
            subscription.Cancel();
            return true;
        }

        return false;
    }

    /// <summary>Forgets every subscription of a closed connection.</summary>
    public void RemoveConnection(string connectionId)
    {
        if (_byConnection.TryRemove(connectionId, out var mine))
        {
            foreach (var key in mine.Keys)
            {
                if (_bySession.TryGetValue(key, out var subs) && subs.TryRemove(connectionId, out var subscription))
                {
                    subscription.Cancel();
                }
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _disposed) == 0)
        {
            await _stopping.CancelAsync();
        }

        await base.StopAsync(cancellationToken);
    }

    /// <summary>Cancelled when the dispatcher stops (also once it is disposed).</summary>
    private CancellationToken StoppingToken => Volatile.Read(ref _disposed) == 0 ? _stopping.Token : new CancellationToken(canceled: true);

    /// <summary>Idempotent: the container disposes the instance once as itself and once as the hosted service.</summary>
    public override void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _stopping.Cancel();
            _stopping.Dispose();
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
                await foreach (var e in pool.ReadEventsAsync(stoppingToken))
                {
                    retryDelay = FirstRetryDelay;
                    await DispatchAsync(e, stoppingToken);
                }

                // The pool completes the stream only when it is disposed: nothing more will come.
                HubLog.EventStreamEnded(logger);
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Never let the host die because the event source hiccupped: the REST API stays useful without events.
                HubLog.EventStreamFailed(logger, retryDelay, ex);
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

    /// <summary>Hands one live event to every subscription of its session (in parallel; each in order).</summary>
    internal async Task DispatchAsync(SessionEvent e, CancellationToken stoppingToken)
    {
        if (!IsKnown(e))
        {
            HubLog.UnknownEvent(logger, e.GetType().Name);
            return;
        }

        if (!_bySession.TryGetValue((e.Tenant, e.SessionId), out var subs) || subs.IsEmpty)
        {
            return;
        }

        var deliveries = subs.Values.Select(s => DispatchToAsync(s, e, stoppingToken)).ToList();
        await Task.WhenAll(deliveries);
    }

    private async Task DispatchToAsync(Subscription subscription, SessionEvent e, CancellationToken stoppingToken)
    {
        try
        {
            await subscription.Lock.WaitAsync(subscription.Token);
        }
        catch (OperationCanceledException)
        {
            return; // unsubscribed meanwhile
        }

        try
        {
            if (subscription.Replaying || e.EventId < subscription.Next)
            {
                // Replay reads it from the log (journaled before dispatch), or replay already sent it.
                return;
            }

            if (e.EventId == subscription.Next)
            {
                await SendAsync(subscription, e, stoppingToken);
                subscription.Next = e.EventId + 1;
                return;
            }

            // Ids were skipped: the pool dropped events this subscriber has not had. Read them from the log.
            HubLog.ReplayingGap(logger, subscription.ConnectionId, subscription.Tenant, subscription.SessionId, subscription.Next, e.EventId);
            subscription.Replaying = true;
            subscription.Pending = e;
            subscription.Replay = Task.Run(() => ReplayAsync(subscription, first: null, mustReach: e.EventId), CancellationToken.None);
        }
        finally
        {
            subscription.Lock.Release();
        }
    }

    /// <summary>
    /// Sends the subscription's missed events from the log, in order, until it has caught up; then hands it back to live
    /// delivery. <paramref name="mustReach"/>: a live event known to exist (it triggered the replay), sent here if the
    /// log does not have it, so a subscription can never stall.
    /// </summary>
    private async Task ReplayAsync(Subscription subscription, Gateway.Xmpp.Pool.Persistence.EventPage? first, long mustReach)
    {
        var token = subscription.Token;
        try
        {
            var page = first;
            while (true)
            {
                page ??= await ReadAfterAsync(subscription, token);
                if (!HasNew(page, subscription.Next))
                {
                    // Caught up, as far as we know. Check once more under the lock: the dispatcher cannot hand this
                    // subscription anything meanwhile, and whatever it handed out before is already in the log.
                    await subscription.Lock.WaitAsync(token);
                    try
                    {
                        page = await ReadAfterAsync(subscription, token);
                        if (!HasNew(page, subscription.Next))
                        {
                            if (mustReach >= subscription.Next && subscription.Pending is { } pending && pending.EventId == mustReach)
                            {
                                await SendAsync(subscription, pending, StoppingToken);
                                subscription.Next = pending.EventId + 1;
                            }

                            subscription.Replaying = false;
                            subscription.Pending = null;
                            return;
                        }
                    }
                    finally
                    {
                        subscription.Lock.Release();
                    }
                }

                foreach (var e in page.Events)
                {
                    if (e.EventId < subscription.Next)
                    {
                        continue;
                    }

                    token.ThrowIfCancellationRequested();
                    if (IsKnown(e))
                    {
                        await SendAsync(subscription, e, StoppingToken);
                    }

                    subscription.Next = e.EventId + 1;
                }

                page = null;
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Unsubscribed, disconnected or shutting down.
        }
        catch (Exception ex)
        {
            // The log could not be read: deliver live events again rather than none, the client sees the gap in ids.
            HubLog.ReplayFailed(logger, subscription.ConnectionId, subscription.Tenant, subscription.SessionId, ex);
            await subscription.Lock.WaitAsync(CancellationToken.None);
            subscription.Replaying = false;
            subscription.Next = Math.Max(subscription.Next, mustReach + 1);
            subscription.Lock.Release();
        }
    }

    private async Task<Gateway.Xmpp.Pool.Persistence.EventPage> ReadAfterAsync(Subscription subscription, CancellationToken cancellationToken)
    {
        var page = await pool.ReadHistoryAsync(subscription.Tenant, subscription.SessionId, subscription.Next - 1, ReplayPageSize, cancellationToken);
        if (page.Gap && page.Events.Count > 0 && page.Events[0].EventId > subscription.Next)
        {
            // Retention dropped some while we were behind: the client sees the gap in ids.
            HubLog.ReplayGap(logger, subscription.ConnectionId, subscription.Tenant, subscription.SessionId, subscription.Next, page.Events[0].EventId);
        }

        return page;
    }

    private static bool HasNew(Gateway.Xmpp.Pool.Persistence.EventPage page, long next) => page.Events.Count > 0 && page.Events[^1].EventId >= next;

    /// <summary>Sends one event to one connection, bounded by <see cref="GatewayHubOptions.SendTimeout"/>; failures are logged and skipped.</summary>
    private async Task SendAsync(Subscription subscription, SessionEvent e, CancellationToken stoppingToken)
    {
        var client = hub.Clients.Client(subscription.ConnectionId);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(_sendTimeout);
        try
        {
            var send = e switch
            {
                MessageReceived m => client.OnMessage(EventMapper.ToEnvelope(m), timeout.Token),
                PresenceReceived p => client.OnPresence(EventMapper.ToEnvelope(p), timeout.Token),
                RosterPushed r => client.OnRosterPush(EventMapper.ToEnvelope(r), timeout.Token),
                IqRequestReceived q => client.OnIqRequest(EventMapper.ToEnvelope(q), timeout.Token),
                SessionStateChanged s => client.OnSessionState(EventMapper.ToEnvelope(s), timeout.Token),
                MessageStatusChanged ms => client.OnMessageStatus(EventMapper.ToEnvelope(ms), timeout.Token),
                _ => Task.CompletedTask,
            };
            await send;
            HubLog.Dispatched(logger, KindOf(e), e.EventId, e.Tenant, e.SessionId);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            HubLog.DispatchTimedOut(logger, KindOf(e), e.EventId, e.Tenant, e.SessionId, _sendTimeout);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            HubLog.DispatchFailed(logger, KindOf(e), e.EventId, e.Tenant, e.SessionId, ex);
        }
    }

    private static bool IsKnown(SessionEvent e) =>
        e is MessageReceived or PresenceReceived or RosterPushed or IqRequestReceived or SessionStateChanged or MessageStatusChanged;

    private static string KindOf(SessionEvent e) => e switch
    {
        MessageReceived => EventKinds.Message,
        PresenceReceived => EventKinds.Presence,
        RosterPushed => EventKinds.RosterPush,
        IqRequestReceived => EventKinds.IqRequest,
        SessionStateChanged => EventKinds.SessionState,
        MessageStatusChanged => EventKinds.MessageStatus,
        _ => e.GetType().Name,
    };

    /// <summary>One connection's subscription to one session. <see cref="Next"/> and <see cref="Replaying"/> change only under <see cref="Lock"/>, or by the replay while replaying.</summary>
    private sealed class Subscription(string connectionId, string tenant, string sessionId, long next, CancellationTokenSource cancellation)
    {
        private volatile bool _replaying = true;
        private long _next = next;

        public string ConnectionId { get; } = connectionId;

        public string Tenant { get; } = tenant;

        public string SessionId { get; } = sessionId;

        public SemaphoreSlim Lock { get; } = new(1, 1);

        public CancellationToken Token { get; } = cancellation.Token;

        public long Next
        {
            get => Interlocked.Read(ref _next);
            set => Interlocked.Exchange(ref _next, value);
        }

        public bool Replaying
        {
            get => _replaying;
            set => _replaying = value;
        }

        /// <summary>The live event that triggered a gap replay (see <see cref="ReplayAsync"/>'s mustReach).</summary>
        public SessionEvent? Pending { get; set; }

        public Task? Replay { get; set; }

        public void Cancel()
        {
            try
            {
                cancellation.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }
}
