using System.Globalization;
using Gateway.Api.Contracts;
using Gateway.Api.Hubs;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace Gateway.Tests.Reliability;

/// <summary>
/// A SignalR client of the gateway that does what docs/reliability.md asks of one: it keeps the last event id it saw,
/// and whenever its connection closes (the gateway process went away) it connects again, to whichever process now
/// serves the address, and subscribes with <c>SubscribeAfter(sessionId, lastEventId)</c>. It records every message
/// into a <see cref="DeliveryLedger"/> (keyed by event id) and the best delivery status each sent message reached.
/// </summary>
internal sealed class HubSubscriber : IAsyncDisposable
{
    private readonly ISessionRoute _route;
    private readonly string _apiKey;
    private readonly string _sessionId;
    private readonly DeliveryLedger _messages;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private readonly List<long> _eventIds = [];
    private readonly Dictionary<string, string> _statuses = new(StringComparer.Ordinal);
    private long _statusEvents;
    private readonly Dictionary<string, string> _failed = new(StringComparer.Ordinal);
    private readonly List<string> _failures = [];
    private Task _running = Task.CompletedTask;
    private long _lastEventId;
    private int _connections;
    private int _elsewhere;

    public HubSubscriber(Uri gateway, string apiKey, string sessionId, DeliveryLedger messages)
        : this(new FixedRoute(gateway), apiKey, sessionId, messages)
    {
    }

    /// <summary>A subscriber that connects (and reconnects) to the node <paramref name="route"/> names (several gateway nodes).</summary>
    public HubSubscriber(ISessionRoute route, string apiKey, string sessionId, DeliveryLedger messages)
    {
        _route = route;
        _apiKey = apiKey;
        _sessionId = sessionId;
        _messages = messages;
    }

    /// <summary>How many hub connections were subscribed (1 + the reconnects after gateway restarts).</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Subscriptions a node refused with "session not found" while the route says the session may run elsewhere.</summary>
    public int NotFoundElsewhere => Volatile.Read(ref _elsewhere);

    /// <summary>The node of the current (or last) subscription.</summary>
    public Uri? Node { get; private set; }

    public long LastEventId => Interlocked.Read(ref _lastEventId);

    /// <summary>Message-status events received: progress of the outbound traffic (session-state events are not).</summary>
    public long StatusEvents => Interlocked.Read(ref _statusEvents);

    /// <summary>Event ids of every event received, of any kind, in arrival order.</summary>
    public IReadOnlyList<long> EventIds
    {
        get
        {
            lock (_gate)
            {
                return [.. _eventIds];
            }
        }
    }

    /// <summary>Subscriptions the hub refused (e.g. a replay gap): each one is a failure of the run.</summary>
    public IReadOnlyList<string> Failures
    {
        get
        {
            lock (_gate)
            {
                return [.. _failures];
            }
        }
    }

    /// <summary>The most advanced status the message-status events reported for a message id, if any.</summary>
    public string? StatusOf(string messageId)
    {
        lock (_gate)
        {
            return _statuses.GetValueOrDefault(messageId);
        }
    }

    /// <summary>Why a message failed, when a message-status event said it did.</summary>
    public string? FailureOf(string messageId)
    {
        lock (_gate)
        {
            return _failed.GetValueOrDefault(messageId);
        }
    }

    /// <summary>Connects and subscribes from the first event; returns once the first subscription is in place.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _running = Task.Run(() => RunAsync(first, _stopping.Token), CancellationToken.None);
        await first.Task.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        try
        {
            await _running;
        }
        catch (OperationCanceledException)
        {
        }

        _stopping.Dispose();
    }

    private async Task RunAsync(TaskCompletionSource first, CancellationToken cancellationToken)
    {
        for (var attempt = 0; !cancellationToken.IsCancellationRequested; attempt++)
        {
            var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Uri node;
            try
            {
                node = await _route.NodeAsync(attempt, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }

            Node = node;
            var hubUrl = new Uri(node, "hubs/xmpp?access_token=" + Uri.EscapeDataString(_apiKey));
            var connection = new HubConnectionBuilder().WithUrl(hubUrl).WithStatefulReconnect().Build();
            connection.On<EventEnvelope<MessageDto>>("OnMessage", e =>
            {
                Seen(e.EventId);
                _messages.Record(e.Data.Body, "event " + e.EventId.ToString(CultureInfo.InvariantCulture));
            });
            connection.On<EventEnvelope<MessageStatusDto>>("OnMessageStatus", e =>
            {
                Seen(e.EventId);
                Interlocked.Increment(ref _statusEvents);
                lock (_gate)
                {
                    if (e.Data.Status == "failed")
                    {
                        _failed[e.Data.MessageId] = $"{e.Data.ErrorCondition}: {e.Data.ErrorText}";
                    }

                    var previous = _statuses.GetValueOrDefault(e.Data.MessageId);
                    if (previous is null || Rank(e.Data.Status) > Rank(previous))
                    {
                        _statuses[e.Data.MessageId] = e.Data.Status;
                    }
                }
            });
            connection.On<EventEnvelope<PresenceDto>>("OnPresence", e => Seen(e.EventId));
            connection.On<EventEnvelope<RosterItemDto>>("OnRosterPush", e => Seen(e.EventId));
            connection.On<EventEnvelope<IqRequestDto>>("OnIqRequest", e => Seen(e.EventId));
            connection.On<EventEnvelope<SessionStateDto>>("OnSessionState", e => Seen(e.EventId));
            connection.Closed += _ =>
            {
                closed.TrySetResult();
                return Task.CompletedTask;
            };

            try
            {
                await connection.StartAsync(cancellationToken);
                await connection.InvokeAsync<SubscriptionDto>("SubscribeAfter", _sessionId, LastEventId, cancellationToken);
                Interlocked.Increment(ref _connections);
                first.TrySetResult();
                await closed.Task.WaitAsync(cancellationToken);
            }
            catch (HubException ex) when (_route.NotFoundMeansElsewhere && ex.Message.Contains(Gateway.Api.Errors.ProblemCodes.SessionNotFound, StringComparison.Ordinal))
            {
                // That node does not run the session (any more, or not yet): the route finds where it runs now.
                Interlocked.Increment(ref _elsewhere);
            }
            catch (HubException ex)
            {
                // The gateway refused the subscription (a replay gap, an unknown session): record it, try again.
                lock (_gate)
                {
                    _failures.Add($"{DateTime.UtcNow:HH:mm:ss.fff} SubscribeAfter({_sessionId}, {LastEventId}): {ex.Message}");
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or InvalidOperationException or System.Net.WebSockets.WebSocketException
                                       or AggregateException { InnerExceptions: [Microsoft.AspNetCore.Http.Connections.Client.TransportFailedException, ..] }
                                       || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                // The gateway is down or restarting. (When it goes away while the client tries its transports one after
                // the other, e.g. WebSockets reset, then Server-Sent Events and long polling refused, StartAsync throws
                // an AggregateException of their TransportFailedExceptions.)
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
            finally
            {
                await connection.DisposeAsync();
            }

            if (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(100, CancellationToken.None);
            }
        }
    }

    private void Seen(long eventId)
    {
        lock (_gate)
        {
            _eventIds.Add(eventId);
            if (eventId > _lastEventId)
            {
                Interlocked.Exchange(ref _lastEventId, eventId);
            }
        }
    }

    /// <summary>queued &lt; sent &lt; acked &lt; delivered &lt; displayed; failed ranks lowest (a later success is what counts).</summary>
    internal static int Rank(string status) => status switch
    {
        "queued" => 1,
        "sent" => 2,
        "acked" => 3,
        "delivered" => 4,
        "displayed" => 5,
        _ => 0,
    };
}
