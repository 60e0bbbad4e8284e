using System.Collections.Concurrent;
using System.Text.Json;
using Gateway.Xmpp.Pool;
using Polly;
using Polly.CircuitBreaker;

namespace Gateway.Api.Webhooks;

/// <summary>
/// Delivers one webhook's events: one <see cref="WebhookLane"/> per session, each in order, at most
/// <see cref="WebhookOptions.MaxConcurrentSessionsPerWebhook"/> attempts at once, through the endpoint's own
/// resilience pipeline (<see cref="WebhookPipeline"/>). Nothing here is shared with another webhook but the HTTP
/// client (whose connections are per origin) and the store, so a slow or failing endpoint delays only itself.
/// </summary>
/// <remarks>
/// A lane takes the head of its session's line from the delivery log (the oldest pending or failed delivery); with
/// none, it reads the journal after the (webhook, session) cursor and queues the next page of wanted events, moving the
/// cursor in the same transaction. A failing head blocks the rest of its session until it is delivered or dead: order
/// per session is the guarantee; other sessions go on.
/// </remarks>
internal sealed class WebhookWorker : IAsyncDisposable
{
    /// <summary>Events read from the journal per page (queued together).</summary>
    internal const int PageSize = 50;

    /// <summary>Stored bytes read from the journal per page.</summary>
    internal const long PageBytes = 1_000_000;

    /// <summary>Bytes read for one event to deliver: the journal's events are bounded far below.</summary>
    private const long EventBytes = 4_000_000;

    private readonly IWebhookStore _store;
    private readonly ISessionPool _pool;
    private readonly WebhookHttpClient _http;
    private readonly WebhookMetrics _metrics;
    private readonly WebhookOptions _options;
    private readonly JsonSerializerOptions _json;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IWebhookSessionOwnership? _ownership;
    private readonly ResiliencePipeline<int> _pipeline;
    private readonly SemaphoreSlim _concurrency;
    private readonly ConcurrentDictionary<string, WebhookLane> _lanes = new(StringComparer.Ordinal);

    /// <summary>In a cluster: the delivery each session's lane is working on (a lane works one at a time).</summary>
    private readonly ConcurrentDictionary<string, InFlight> _inFlight = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private int _delivered;

    public WebhookWorker(
        Webhook webhook,
        IWebhookStore store,
        ISessionPool pool,
        WebhookHttpClient http,
        WebhookMetrics metrics,
        WebhookOptions options,
        JsonSerializerOptions json,
        TimeProvider time,
        ILogger logger,
        IWebhookSessionOwnership? ownership = null)
    {
        Webhook = webhook;
        _store = store;
        _pool = pool;
        _http = http;
        _metrics = metrics;
        _options = options;
        _json = json;
        _time = time;
        _logger = logger;
        _ownership = ownership;
        _concurrency = new SemaphoreSlim(options.MaxConcurrentSessionsPerWebhook, options.MaxConcurrentSessionsPerWebhook);
        _pipeline = WebhookPipeline.Build(
            options,
            OnRetryAsync,
            duration => WebhookLog.CircuitOpened(_logger, Webhook.Id, duration),
            () => WebhookLog.CircuitClosed(_logger, Webhook.Id),
            time);
    }

    public Webhook Webhook { get; }

    /// <summary>Starts a lane for each session with something left to deliver (after a restart) or live now.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var sessionId in await _store.KnownSessionsAsync(Webhook.Id, cancellationToken))
        {
            Ring(sessionId);
        }

        foreach (var session in _pool.List(Webhook.Tenant))
        {
            Notify(session.Id);
        }
    }

    /// <summary>A live event of the session: never blocks, does no I/O.</summary>
    public void Notify(string sessionId)
    {
        if (Webhook.WantsSession(sessionId))
        {
            Ring(sessionId);
        }
    }

    /// <summary>Wakes the session's lane (starting it on first use).</summary>
    public void Ring(string sessionId)
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        var lane = _lanes.GetOrAdd(sessionId, id => new WebhookLane(id, StepAsync, (session, delay, ex) => WebhookLog.LaneFailed(_logger, Webhook.Id, session, delay, ex)));
        lock (lane)
        {
            if (lane.Completion.IsCompleted && !_stopping.IsCancellationRequested)
            {
                lane.Start(_stopping.Token);
            }
        }

        lane.Ring();
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync();
        await Task.WhenAll(_lanes.Values.Select(l => l.Completion));
        _stopping.Dispose();
        _concurrency.Dispose();
    }

    /// <summary>One step of a lane: zero to go on at once, a delay until the head's next attempt, null when idle.</summary>
    private async Task<TimeSpan?> StepAsync(string sessionId, CancellationToken cancellationToken)
    {
        if (!DeliversHere(sessionId))
        {
            // In a cluster, another node runs the session and delivers its line; this lane idles until rung again.
            return null;
        }

        var head = await _store.NextOpenAsync(Webhook.Id, sessionId, cancellationToken);
        if (head is null)
        {
            return await QueueNextPageAsync(sessionId, cancellationToken) ? TimeSpan.Zero : null;
        }

        var now = _time.GetUtcNow();
        if (head.NextAttemptAt is { } due && due > now)
        {
            return due - now;
        }

        await DeliverAsync(head, cancellationToken);
        return TimeSpan.Zero;
    }

    /// <summary>Queues the wanted events of the next journal page after the cursor; false when there is none.</summary>
    private async Task<bool> QueueNextPageAsync(string sessionId, CancellationToken cancellationToken)
    {
        var cursor = await _store.GetCursorAsync(Webhook.Id, sessionId, cancellationToken) ?? 0;
        var page = await _pool.ReadHistoryAsync(Webhook.Tenant, sessionId, cursor, PageSize, PageBytes, cancellationToken);
        if (page.Gap)
        {
            // Retention dropped events before this webhook got to them: recorded (log, cursor row), then go on.
            WebhookLog.JournalGap(_logger, Webhook.Id, sessionId, cursor, page.OldestAvailableEventId);
        }

        if (page.Events.Count == 0)
        {
            if (page.LastEventId < cursor)
            {
                // The journal starts over: the session was deleted and created again under the same id.
                await _store.ResetSessionAsync(Webhook.Id, sessionId, cancellationToken);
                return true;
            }

            if (page.Gap && page.LastEventId > cursor)
            {
                await _store.AdvanceAsync(Webhook.Id, sessionId, [], page.LastEventId, gap: true, _time.GetUtcNow(), cancellationToken);
                return true;
            }

            return false;
        }

        var wanted = new List<(long EventId, string Kind)>();
        foreach (var e in page.Events)
        {
            // Events from before the webhook existed are not its business (a session with no cursor starts at 0).
            if (e.EventId > cursor && e.ReceivedAt >= Webhook.CreatedAt && WebhookPayload.KindOf(e) is { } kind && Webhook.WantsKind(kind))
            {
                wanted.Add((e.EventId, kind));
            }
        }

        var last = page.Events[^1].EventId;
        if (last <= cursor)
        {
            return false;
        }

        await _store.AdvanceAsync(Webhook.Id, sessionId, wanted, last, page.Gap, _time.GetUtcNow(), cancellationToken);
        return true;
    }

    private async Task DeliverAsync(WebhookDelivery delivery, CancellationToken cancellationToken)
    {
        await _concurrency.WaitAsync(cancellationToken);
        try
        {
            var page = await _pool.ReadHistoryAsync(Webhook.Tenant, delivery.SessionId, delivery.EventId - 1, 1, EventBytes, cancellationToken);
            var e = page.Events.FirstOrDefault(x => x.EventId == delivery.EventId);
            var body = e is null ? null : WebhookPayload.Serialize(e, _json);
            if (body is null)
            {
                await GiveUpAsync(delivery, delivery.Attempts, "the event is no longer in the journal (retention)", null);
                return;
            }

            var attempt = new WebhookAttempt(delivery, WebhookPayload.MessageId(delivery.SessionId, delivery.EventId), body);

            // In a cluster, cancelled when the session moved to another node before an attempt (a retry included):
            // the delivery stays open for the new owner, with no attempt counted.
            using var fence = _ownership is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var token = fence?.Token ?? cancellationToken;
            var flight = fence is null ? null : new InFlight(fence);
            if (flight is not null)
            {
                // Before any ownership check of this delivery's attempts (SettleAsync relies on the order).
                _inFlight[delivery.SessionId] = flight;
            }

            var context = ResilienceContextPool.Shared.Get(token);
            try
            {
                Outcome<int> outcome;
                try
                {
                    context.Properties.Set(WebhookPipeline.AttemptKey, attempt);
                    outcome = await _pipeline.ExecuteOutcomeAsync(static (ctx, state) => state.Worker.SendAsync(state.Attempt, state.Flight, ctx.CancellationToken), context, (Worker: this, Attempt: attempt, Flight: flight));
                }
                finally
                {
                    ResilienceContextPool.Shared.Return(context);
                }

                await RecordOutcomeAsync(attempt, outcome, token);
            }
            finally
            {
                if (flight is not null)
                {
                    _inFlight.TryRemove(new KeyValuePair<string, InFlight>(delivery.SessionId, flight));
                    flight.Done.TrySetResult();
                }
            }
        }
        finally
        {
            _concurrency.Release();
        }
    }

    /// <summary>
    /// In a cluster, once the session has left this node's pool (moved or released): returns when no attempt of its
    /// webhooks is on the wire from this node any more and the last one's outcome is recorded, so that the node that
    /// runs the session next does not attempt the same delivery while this node's attempt is still out (or before its
    /// success is recorded). A delivery only waiting for a retry is not waited for: its wait is cut short and it stays
    /// open for the next node, with no attempt counted. An attempt on the wire takes at most
    /// <see cref="WebhookOptions.AttemptTimeout"/>.
    /// </summary>
    public async Task SettleAsync(string sessionId, CancellationToken cancellationToken)
    {
        if (!_inFlight.TryGetValue(sessionId, out var flight))
        {
            return;
        }

        // The session is out of the pool already (the caller's order): an attempt that marks itself on the wire after
        // this read sees that and does not send; one marked before it is waited for.
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref flight.OnWire) == 0)
        {
            try
            {
                await flight.Fence.CancelAsync();
            }
            catch (ObjectDisposedException)
            {
                // It finished meanwhile.
            }
        }

        await flight.Done.Task.WaitAsync(cancellationToken);
    }

    private async ValueTask<Outcome<int>> SendAsync(WebhookAttempt attempt, InFlight? flight, CancellationToken cancellationToken)
    {
        if (flight is not null)
        {
            // Marked on the wire before the ownership check (a full fence): see SettleAsync.
            Interlocked.Exchange(ref flight.OnWire, 1);
            if (!DeliversHere(attempt.Delivery.SessionId))
            {
                Interlocked.Exchange(ref flight.OnWire, 0);
                await flight.Fence.CancelAsync();
                return Outcome.FromException<int>(new OperationCanceledException(flight.Fence.Token));
            }
        }

        attempt.StartedAt = _time.GetTimestamp();
        var now = _time.GetUtcNow();
        try
        {
            // Standard Webhooks: the timestamp is the attempt's (receivers refuse old ones), the id and body the event's.
            var timestamp = now.ToUnixTimeSeconds();
            var signature = WebhookSigner.Sign(Webhook.SigningSecrets(now), attempt.MessageId, timestamp, attempt.Body);
            var status = await _http.PostAsync(Webhook.Url, attempt.MessageId, timestamp, signature, attempt.Body, cancellationToken);
            return Outcome.FromResult(status);
        }
        catch (Exception ex)
        {
            return Outcome.FromException<int>(ex);
        }
        finally
        {
            if (flight is not null)
            {
                Interlocked.Exchange(ref flight.OnWire, 0);
            }
        }
    }

    /// <summary>A delivery being worked on in a cluster: its fence, whether an attempt is on the wire, and when it is recorded.</summary>
    private sealed class InFlight(CancellationTokenSource fence)
    {
        public int OnWire;

        public CancellationTokenSource Fence { get; } = fence;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private bool DeliversHere(string sessionId) => _ownership?.DeliversHere(Webhook.Tenant, sessionId) ?? true;

    /// <summary>A failed attempt that will be retried after <paramref name="delay"/>.</summary>
    private async ValueTask OnRetryAsync(WebhookAttempt attempt, Outcome<int> outcome, TimeSpan delay)
    {
        attempt.Attempts++;
        _metrics.Failed(Webhook.Tenant, _time.GetElapsedTime(attempt.StartedAt));
        var failure = WebhookPipeline.Describe(outcome, _options.AttemptTimeout);
        var now = _time.GetUtcNow();
        attempt.Delivery = attempt.Delivery with
        {
            Status = WebhookDeliveryStatus.Failed,
            Attempts = attempt.Attempts,
            LastAttemptAt = now,
            NextAttemptAt = now + delay,
            LastStatusCode = outcome.Exception is null ? outcome.Result : null,
            LastError = failure,
        };
        WebhookLog.AttemptFailed(_logger, Webhook.Id, attempt.Delivery.SessionId, attempt.Delivery.EventId, attempt.Attempts, failure, delay);

        // Not the attempt's token: the record must be written even as the gateway stops.
        await _store.RecordAsync(attempt.Delivery, CancellationToken.None);
    }

    private async Task RecordOutcomeAsync(WebhookAttempt attempt, Outcome<int> outcome, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var delivery = attempt.Delivery;
        switch (outcome.Exception)
        {
            case null when outcome.Result is >= 200 and <= 299:
                _metrics.Succeeded(Webhook.Tenant, _time.GetElapsedTime(attempt.StartedAt));
                await _store.RecordAsync(delivery with
                {
                    Status = WebhookDeliveryStatus.Delivered,
                    Attempts = attempt.Attempts + 1,
                    LastAttemptAt = now,
                    NextAttemptAt = null,
                    LastStatusCode = outcome.Result,
                    LastError = null,
                }, CancellationToken.None);
                WebhookLog.Delivered(_logger, Webhook.Id, delivery.SessionId, delivery.EventId, outcome.Result, attempt.Attempts + 1);
                if (Interlocked.Increment(ref _delivered) % 100 == 0)
                {
                    await _store.TrimDeliveredAsync(Webhook.Id, _options.DeliveryLogSize, cancellationToken);
                }

                return;

            case BrokenCircuitException broken:
                // Not tried: the endpoint's circuit is open. The head waits for it, its attempts unchanged.
                await _store.RecordAsync(delivery with { NextAttemptAt = now + (broken.RetryAfter ?? _options.CircuitBreakDuration) }, CancellationToken.None);
                return;

            case OperationCanceledException when cancellationToken.IsCancellationRequested:
                // The gateway stops (or the webhook changed): the delivery stays open and is attempted again later.
                return;
        }

        var attempts = attempt.Attempts + 1;
        _metrics.Failed(Webhook.Tenant, _time.GetElapsedTime(attempt.StartedAt));
        var failure = WebhookPipeline.Describe(outcome, _options.AttemptTimeout);
        int? statusCode = outcome.Exception is null ? outcome.Result : null;
        if (attempts >= _options.MaxAttempts)
        {
            await GiveUpAsync(delivery, attempts, failure, statusCode);
            return;
        }

        // Only reached when the retry strategy declined a failure it should have taken: try again after the base delay.
        await _store.RecordAsync(delivery with
        {
            Status = WebhookDeliveryStatus.Failed,
            Attempts = attempts,
            LastAttemptAt = now,
            NextAttemptAt = now + _options.RetryBaseDelay,
            LastStatusCode = statusCode,
            LastError = failure,
        }, CancellationToken.None);
    }

    private async Task GiveUpAsync(WebhookDelivery delivery, int attempts, string failure, int? statusCode)
    {
        _metrics.DeadLettered(Webhook.Tenant);
        WebhookLog.DeadLettered(_logger, Webhook.Id, delivery.SessionId, delivery.EventId, attempts, failure);
        await _store.RecordAsync(delivery with
        {
            Status = WebhookDeliveryStatus.Dead,
            Attempts = attempts,
            LastAttemptAt = _time.GetUtcNow(),
            NextAttemptAt = null,
            LastStatusCode = statusCode,
            LastError = failure,
        }, CancellationToken.None);
    }
}
