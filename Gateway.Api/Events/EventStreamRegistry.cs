using System.Collections.Concurrent;
using System.Text.Json;
using Gateway.Api.Auth;
using Gateway.Xmpp.Pool;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Events;

/// <summary>
/// The open server-sent event streams: hands each live event to the cursors of its session (encoded once for all of
/// them), bounds the streams per tenant, and ends the streams of a revoked API key and, at shutdown, all of them.
/// </summary>
/// <remarks>
/// <see cref="OnEvent"/> runs on the hub dispatcher's single loop (<see cref="ISessionEventObserver"/>): it only
/// encodes and queues, never waits. A stream that falls behind ends on its own (its cursor's bounded queue).
/// </remarks>
public sealed class EventStreamRegistry : ISessionEventObserver, IApiKeyRevocationListener, IDisposable
{
    private readonly EventStreamOptions _options;
    private readonly JsonSerializerOptions _json;
    private readonly ILogger _logger;
    private readonly CancellationTokenRegistration _stopping;

    // (tenant, session) → its open streams, read lock-free by OnEvent; changed under _lock with the tenant counts.
    private readonly ConcurrentDictionary<(string Tenant, string SessionId), ConcurrentDictionary<EventStream, byte>> _bySession = new();
    private readonly Dictionary<string, int> _perTenant = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private bool _stopped;

    public EventStreamRegistry(
        IOptions<EventStreamOptions> options,
        IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json,
        IHostApplicationLifetime lifetime,
        ILogger<EventStreamRegistry> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(lifetime);
        _options = options.Value;
        _json = json.Value.SerializerOptions;
        _logger = logger;

        // Kestrel waits for open requests at shutdown: streams end first (clients resume with Last-Event-ID).
        _stopping = lifetime.ApplicationStopping.Register(static s => ((EventStreamRegistry)s!).EndAll(), this);
    }

    /// <summary>The API's JSON rules, which the frames use.</summary>
    public JsonSerializerOptions Json => _json;

    /// <summary>How many streams are open (a metric; tests).</summary>
    internal int Count
    {
        get
        {
            lock (_lock)
            {
                return _perTenant.Values.Sum();
            }
        }
    }

    /// <summary>
    /// A cursor for a new stream after <paramref name="afterEventId"/>, registered for live events; null when the tenant
    /// has <see cref="EventStreamOptions.MaxStreamsPerTenant"/> open already. Close it with <see cref="Close"/>.
    /// </summary>
    public EventStream? TryOpen(ISessionPool pool, string tenant, string sessionId, string? keyId, long afterEventId, Xmpp.Pool.Persistence.EventPage? first)
    {
        ArgumentNullException.ThrowIfNull(pool);
        var limits = new EventCursorLimits(
            _options.QueueEvents, _options.QueueBytes, Math.Min(Hubs.SessionEventDispatcher.MaxReplayPageSize, _options.QueueEvents), _options.QueueBytes);
        var cursor = new EventCursor<SseFrame>(pool, tenant, sessionId, afterEventId, limits, Encode, first);
        var stream = new EventStream(cursor, keyId);
        lock (_lock)
        {
            var open = _perTenant.GetValueOrDefault(tenant);
            if (open >= _options.MaxStreamsPerTenant)
            {
                EventStreamLog.LimitReached(_logger, tenant, open);
                return null;
            }

            _perTenant[tenant] = open + 1;
            _bySession.GetOrAdd((tenant, sessionId), _ => new()).TryAdd(stream, 0);
            if (_stopped)
            {
                cursor.End(Hubs.SubscriptionEndReasons.ShuttingDown);
            }
        }

        return stream;
    }

    /// <summary>Whether a stream of the session is open (cross-node events ask, to stop following it).</summary>
    internal bool HasStreams(string tenant, string sessionId) =>
        _bySession.TryGetValue((tenant, sessionId), out var streams) && !streams.IsEmpty;

    /// <summary>Forgets a stream (its request ended).</summary>
    public void Close(EventStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var key = (stream.Cursor.Tenant, stream.Cursor.SessionId);
        lock (_lock)
        {
            if (!_bySession.TryGetValue(key, out var streams) || !streams.TryRemove(stream, out _))
            {
                return;
            }

            if (streams.IsEmpty)
            {
                _bySession.TryRemove(KeyValuePair.Create(key, streams));
            }

            if (--_perTenant[stream.Cursor.Tenant] == 0)
            {
                _perTenant.Remove(stream.Cursor.Tenant);
            }
        }
    }

    /// <inheritdoc/>
    public void OnEvent(SessionEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (!_bySession.TryGetValue((e.Tenant, e.SessionId), out var streams) || streams.IsEmpty)
        {
            return;
        }

        // Built once for every stream of the session.
        if (Encode(e) is not { } frame)
        {
            return;
        }

        foreach (var stream in streams.Keys)
        {
            if (!stream.Cursor.Offer(e, frame.Payload, frame.Bytes))
            {
                EventStreamLog.SlowConsumer(_logger, e.Tenant, e.SessionId, _options.QueueEvents, _options.QueueBytes);
            }
        }
    }

    /// <inheritdoc/>
    public void OnKeysRevoked(IReadOnlySet<string> keyIds)
    {
        ArgumentNullException.ThrowIfNull(keyIds);
        foreach (var stream in _bySession.Values.SelectMany(s => s.Keys))
        {
            if (stream.KeyId is { } keyId && keyIds.Contains(keyId))
            {
                stream.Cursor.End(Hubs.SubscriptionEndReasons.KeyRevoked);
            }
        }
    }

    public void Dispose() => _stopping.Dispose();

    private void EndAll()
    {
        lock (_lock)
        {
            _stopped = true;
        }

        foreach (var stream in _bySession.Values.SelectMany(s => s.Keys))
        {
            stream.Cursor.End(Hubs.SubscriptionEndReasons.ShuttingDown);
        }
    }

    private (SseFrame Payload, int Bytes)? Encode(SessionEvent e)
    {
        try
        {
            return SseFrame.ForEvent(e, _json) is { } frame ? (frame, frame.Bytes.Length) : null;
        }
        catch (Exception ex)
        {
            // A bug (an event that cannot be serialised), not a client's fault: skipped, the client sees the gap in ids.
            EventStreamLog.EncodeFailed(_logger, e.EventId, e.Tenant, e.SessionId, ex);
            return null;
        }
    }
}
