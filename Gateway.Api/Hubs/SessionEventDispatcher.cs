using Gateway.Api.Contracts;
using Gateway.Xmpp.Pool;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Hubs;

/// <summary>
/// Drains the pool's events into the hub: each event goes to the group of its session's subscribers. One event at a
/// time, so every subscriber sees a session's events in order. A send that fails or outlasts
/// <see cref="GatewayHubOptions.SendTimeout"/> is logged and skipped; nothing a client does stops the loop.
/// </summary>
internal sealed class SessionEventDispatcher(
    ISessionPool pool,
    IHubContext<GatewayHub, IGatewayClient> hub,
    IOptions<GatewayHubOptions> options,
    ILogger<SessionEventDispatcher> logger,
    TimeProvider? timeProvider = null) : BackgroundService
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly TimeSpan _sendTimeout = options.Value.SendTimeout;

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

    internal async Task DispatchAsync(SessionEvent e, CancellationToken stoppingToken)
    {
        var clients = hub.Clients.Group(HubGroups.Session(e.Tenant, e.SessionId));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(_sendTimeout);
        try
        {
            var send = e switch
            {
                MessageReceived m => clients.OnMessage(EventMapper.ToEnvelope(m), timeout.Token),
                PresenceReceived p => clients.OnPresence(EventMapper.ToEnvelope(p), timeout.Token),
                RosterPushed r => clients.OnRosterPush(EventMapper.ToEnvelope(r), timeout.Token),
                IqRequestReceived q => clients.OnIqRequest(EventMapper.ToEnvelope(q), timeout.Token),
                SessionStateChanged s => clients.OnSessionState(EventMapper.ToEnvelope(s), timeout.Token),
                MessageStatusChanged ms => clients.OnMessageStatus(EventMapper.ToEnvelope(ms), timeout.Token),
                _ => null,
            };
            if (send is null)
            {
                HubLog.UnknownEvent(logger, e.GetType().Name);
                return;
            }

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
}
