using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using Gateway.Xmpp.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Gateway.Xmpp.Pool;

/// <summary>The connection manager. See <see cref="ISessionPool"/>.</summary>
public sealed partial class SessionPool : ISessionPool, IAsyncDisposable
{
    private readonly SessionPoolOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly ConcurrentDictionary<(string Tenant, string Id), ManagedSession> _sessions = new();
    private readonly Channel<SessionEvent> _events;
    private readonly object _admission = new();
    private long _droppedEvents;
    private volatile bool _running;
    private int _disposed;

    public SessionPool(SessionPoolOptions options, ILoggerFactory loggerFactory, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        options.Validate();
        _options = options;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<SessionPool>();
        _timeProvider = timeProvider ?? TimeProvider.System;
        _events = Channel.CreateBounded<SessionEvent>(
            new BoundedChannelOptions(options.EventBufferCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.DropOldest },
            _ => Log.EventDropped(_logger, options.EventBufferCapacity, Interlocked.Increment(ref _droppedEvents)));
    }

    /// <summary>Marks the pool running. Sessions can be created before or after.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        _running = true;
        return Task.CompletedTask;
    }

    /// <summary>Closes every session gracefully (unavailable presence, then stream close), in parallel.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        _running = false;
        var sessions = _sessions.Values.ToArray();
        await Task.WhenAll(sessions.Select(s => s.StopAsync(cancellationToken))).ConfigureAwait(false);
        _sessions.Clear();
        _events.Writer.TryComplete();
    }

    public async Task<SessionInfo> CreateAsync(string tenant, SessionSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Host is not null && !_options.AllowHostOverride)
        {
            throw new ArgumentException($"Sessions may not choose their own host: {SessionPoolOptions.Section}:AllowHostOverride is off.", nameof(spec));
        }

        if (spec.Id is not null && !SessionIdPattern().IsMatch(spec.Id))
        {
            throw new ArgumentException("A session id is 1-64 characters of letters, digits, '-' and '_'.", nameof(spec));
        }

        if (spec.Jid.Local is null)
        {
            throw new ArgumentException($"The JID must name an account (local@domain), not '{spec.Jid}'.", nameof(spec));
        }

        var id = spec.Id ?? StanzaId.New().Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal)[..12];
        var session = new ManagedSession(this, tenant, id, spec, _options, _loggerFactory, _timeProvider);
        lock (_admission)
        {
            if (_sessions.Count >= _options.MaxSessions)
            {
                throw new SessionLimitException($"The gateway holds its maximum of {_options.MaxSessions} sessions; raise {SessionPoolOptions.Section}:MaxSessions.");
            }

            if (_sessions.Keys.Count(k => k.Tenant == tenant) >= _options.MaxSessionsPerTenant)
            {
                throw new SessionLimitException($"This tenant holds its maximum of {_options.MaxSessionsPerTenant} sessions ({SessionPoolOptions.Section}:MaxSessionsPerTenant).");
            }

            if (!_sessions.TryAdd((tenant, id), session))
            {
                throw new SessionConflictException(id);
            }
        }

        try
        {
            await session.StartAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            return session.Info;
        }
        catch
        {
            _sessions.TryRemove(new KeyValuePair<(string, string), ManagedSession>((tenant, id), session));
            using var cts = new CancellationTokenSource(_options.ConnectTimeout);
            await session.StopAsync(cts.Token).ConfigureAwait(false);
            throw;
        }
    }

    public IReadOnlyList<SessionInfo> List(string tenant) =>
        [.. _sessions.Where(p => p.Key.Tenant == tenant).Select(p => p.Value.Info).OrderBy(i => i.Id, StringComparer.Ordinal)];

    public IManagedSession? Find(string tenant, string sessionId) =>
        _sessions.TryGetValue((tenant, sessionId), out var session) ? session : null;

    public async Task<bool> RemoveAsync(string tenant, string sessionId, CancellationToken cancellationToken = default)
    {
        if (!_sessions.TryRemove((tenant, sessionId), out var session))
        {
            return false;
        }

        await session.StopAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    public PoolHealth GetHealth() => new(
        _running,
        _sessions.Values.GroupBy(s => s.Info.State).ToImmutableDictionary(g => g.Key, g => g.Count()));

    public async IAsyncEnumerable<SessionEvent> ReadEventsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var sessionEvent in _events.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return sessionEvent;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            using var cts = new CancellationTokenSource(_options.ConnectTimeout);
            await StopAsync(cts.Token).ConfigureAwait(false);
        }
    }

    internal void Publish(SessionEvent sessionEvent) => _events.Writer.TryWrite(sessionEvent);

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex SessionIdPattern();
}
