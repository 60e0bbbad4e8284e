using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using Gateway.Xmpp.Client;
using Gateway.Xmpp.Diagnostics;
using Gateway.Xmpp.Negotiation.Sasl;
using Gateway.Xmpp.Pool.Journal;
using Gateway.Xmpp.Pool.Persistence;
using Gateway.Xmpp.StreamManagement;
using Microsoft.Extensions.Logging;

namespace Gateway.Xmpp.Pool;

/// <summary>The connection manager. See <see cref="ISessionPool"/>.</summary>
public sealed partial class SessionPool : ISessionPool, IAsyncDisposable
{
    /// <summary>What generated session ids are made of: letters and digits, nothing a URL or a log needs to escape.</summary>
    private const string SessionIdCharacters = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private readonly SessionPoolOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly ConcurrentDictionary<(string Tenant, string Id), ManagedSession> _sessions = new();

    // One creation, change, removal or release at a time per session.
    private readonly SessionGuards _guards = new();
    private readonly Channel<SessionEvent> _events;
    private readonly IPoolStore _store;
    private readonly EventJournal _journal;
    private readonly XmppMetrics _metrics;

    /// <summary>One timer for every session's keepalive (see <see cref="KeepAliveTicker"/>).</summary>
    private readonly KeepAliveTicker _keepAlive;

    /// <summary>The sessions' SCRAM key derivations at once (see <see cref="SessionPoolOptions.MaxConcurrentKeyDerivations"/>).</summary>
    private readonly KeyDerivationLimiter _keyDerivations;

    /// <summary>Reused by the journal's single writer for each commit.</summary>
    private readonly JournalBatch _batch = new();
    private readonly object _admission = new();

    /// <summary>
    /// Sessions per tenant, for the per-tenant limit: counting the pool's keys on every create took all the
    /// dictionary's locks and copied every key (on the large-object heap beyond a few thousand sessions), so creating
    /// N sessions cost O(N²). Guarded by _admission; changed with every add to and removal from _sessions.
    /// </summary>
    private readonly Dictionary<string, int> _perTenant = new(StringComparer.Ordinal);

    /// <summary>Each tenant's bytes of queued and unacknowledged stanzas (<see cref="SessionPoolOptions.MaxQueuedBytesPerTenant"/>); kept while the pool lives.</summary>
    private readonly ConcurrentDictionary<string, ByteBudget> _budgets = new(StringComparer.Ordinal);
    private long _droppedEvents;
    private volatile bool _running;
    private int _disposed;

    /// <summary>What the pool's sessions run with unless their spec says otherwise.</summary>
    public SessionPoolOptions Options => _options;

    /// <param name="options">Limits, timeouts and policies.</param>
    /// <param name="loggerFactory">Where the pool logs.</param>
    /// <param name="timeProvider">Clock for backoff, keepalive and timeouts; the system clock when null.</param>
    /// <param name="store">
    /// Where session definitions, the event journal (written before dispatch) and the outbox (accepted stanzas until the
    /// server's acknowledgement) survive restarts; in memory (<see cref="InMemoryPoolStore"/>) when null.
    /// </param>
    /// <param name="meterFactory">
    /// Creates the pool's meter (<c>Gateway.Xmpp</c>, docs/observability.md); when null (no host) the pool makes its own
    /// and disposes it with itself. One pool per factory: a factory hands out one meter per name, and a second pool's
    /// instruments would share their names with the first's.
    /// </param>
    public SessionPool(SessionPoolOptions options, ILoggerFactory loggerFactory, TimeProvider? timeProvider = null, IPoolStore? store = null, IMeterFactory? meterFactory = null)
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
        _store = store ?? new InMemoryPoolStore();
        _journal = new EventJournal(CommitAsync, e => _events.Writer.TryWrite(e), options.JournalCapacity, _logger, _timeProvider);
        _keepAlive = new KeepAliveTicker(KeepAliveTicker.PeriodFor(options.KeepAliveInterval, shared: true), _timeProvider);
        _keyDerivations = new KeyDerivationLimiter(options.MaxConcurrentKeyDerivations);
        _metrics = new XmppMetrics(meterFactory, SessionsByState, () => _sessions.Values.Sum(s => (long)s.QueuedCount), () => _sessions.Values.Sum(s => (long)s.UnacknowledgedCount));
    }

    /// <summary>Sessions in each state, every state reported (a zero is a value, not a gap); runs when metrics are collected.</summary>
    private IEnumerable<Measurement<int>> SessionsByState()
    {
        Span<int> counts = stackalloc int[(int)SessionState.Failed + 1];
        foreach (var session in _sessions.Values)
        {
            counts[(int)session.State]++;
        }

        var measurements = new Measurement<int>[counts.Length];
        for (var i = 0; i < counts.Length; i++)
        {
            measurements[i] = new Measurement<int>(counts[i], XmppMetrics.StateTag((SessionState)i));
        }

        return measurements;
    }

    /// <summary>
    /// Restores the stored sessions (they connect in the background, their event ids continuing where they
    /// stopped) unless <see cref="SessionPoolOptions.RestoreStoredSessions"/> is off, and marks the pool running.
    /// Sessions can be created before or after.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_options.RestoreStoredSessions)
        {
            foreach (var stored in await _store.LoadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await HostStoredAsync(stored, cancellationToken).ConfigureAwait(false);
            }
        }

        _running = true;
    }

    /// <summary>
    /// Hosts one stored session here, as <see cref="StartAsync"/> does for each: it connects in the background, its
    /// event ids continuing where they stopped, its outbox and rooms restored. False when the pool already holds a
    /// session with this tenant and id (nothing changes then).
    /// </summary>
    /// <remarks>
    /// For a host that decides itself which stored sessions this pool runs (one node of several, with
    /// <see cref="SessionPoolOptions.RestoreStoredSessions"/> off); <see cref="ReleaseAsync"/> undoes it.
    /// </remarks>
    public Task<bool> HostStoredAsync(StoredSession stored, CancellationToken cancellationToken = default) =>
        HostHandedOverAsync(stored, resumption: null, cancellationToken);

    /// <summary>
    /// As <see cref="HostStoredAsync"/>, resuming the XMPP stream another pool handed
    /// over (<see cref="HandOverAsync"/>) when <paramref name="resumption"/> is given: no new login when the server still
    /// keeps the stream, the outbox settled by the server's count; otherwise a new login as after a restart.
    /// </summary>
    public async Task<bool> HostHandedOverAsync(StoredSession stored, StreamResumption? resumption, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var key = (stored.Tenant, stored.Id);
        var session = await HostAsync(stored, resumption, session => _sessions.TryAdd(key, session), cancellationToken).ConfigureAwait(false);
        if (session is null)
        {
            return false;
        }

        CountTenant(stored.Tenant, +1);
        return true;
    }

    /// <summary>
    /// Builds the stored session, its event ids continuing where the journal stands, lets <paramref name="place"/> put it
    /// in the table, and starts it with its outbox and rooms; null (nothing started) when <paramref name="place"/> refuses.
    /// </summary>
    private async Task<ManagedSession?> HostAsync(StoredSession stored, StreamResumption? resumption, Func<ManagedSession, bool> place, CancellationToken cancellationToken)
    {
        var head = await _store.GetHeadAsync(stored.Tenant, stored.Id, cancellationToken).ConfigureAwait(false);
        var recent = await ReadRecentMessagesAsync(stored, head.LastEventId, cancellationToken).ConfigureAwait(false);

        // The journal's cursor; a file from before cursors were kept falls back to its last archived message.
        var cursor = head.ArchiveCursor ?? recent.Select(m => ReceiptElements.FindStanzaId(m, stored.Spec.Jid.Bare)).LastOrDefault(id => id is not null);
        var session = new ManagedSession(stored.Tenant, stored.Id, stored.Spec, _options, _keepAlive, _keyDerivations, _loggerFactory, _timeProvider, stored.CreatedAt, _journal.Open(stored.Tenant, stored.Id, head.LastEventId), _store.IsDurable, cursor, restored: true, Lookups(stored.Tenant, stored.Id), BudgetOf(stored.Tenant), _store, _metrics);
        if (!place(session))
        {
            session.Close();
            return null;
        }

        session.RestoreRooms(await _store.LoadRoomsAsync(stored.Tenant, stored.Id, cancellationToken).ConfigureAwait(false));
        session.StartRestored(await _store.LoadAsync(stored.Tenant, stored.Id, cancellationToken).ConfigureAwait(false), recent, resumption);
        Log.SessionRestored(_logger, stored.Tenant, stored.Id, head.LastEventId);
        return session;
    }

    /// <summary>
    /// Stops running one session here without forgetting it: closed gracefully as <see cref="StopAsync"/> closes each
    /// (with a durable store, what is queued or unacknowledged stays in the outbox), its definition, journal, outbox and
    /// rooms left in the store for whichever pool hosts it next (<see cref="HostStoredAsync"/>). False when the pool
    /// holds no such session. <see cref="RemoveAsync"/> is the call that deletes a session.
    /// </summary>
    public Task<bool> ReleaseAsync(string tenant, string sessionId, CancellationToken cancellationToken = default) =>
        TakeOutAsync(tenant, sessionId, absent: false, async session =>
        {
            try
            {
                await session.StopAsync(cancellationToken, keepQueued: _store.IsDurable).ConfigureAwait(false);
            }
            finally
            {
                session.Close();
            }

            return true;
        }, cancellationToken);

    /// <summary>
    /// Stops running one session here so that another pool (another node sharing the store) carries on with its XMPP
    /// stream: as <see cref="ReleaseAsync"/>, except that the stream is dropped rather than closed, so the server keeps
    /// it for resumption (XEP-0198 §5), and what it takes to resume it is returned for the next host's
    /// <see cref="HostHandedOverAsync"/>. Null when the pool holds no
    /// such session, or the stream cannot be resumed (no resumption allowed, or a store that does not keep the outbox:
    /// the session is then released as by <see cref="ReleaseAsync"/>).
    /// </summary>
    public async Task<StreamResumption?> HandOverAsync(string tenant, string sessionId, CancellationToken cancellationToken = default)
    {
        if (!_store.IsDurable)
        {
            await ReleaseAsync(tenant, sessionId, cancellationToken).ConfigureAwait(false);
            return null;
        }

        return await TakeOutAsync<StreamResumption?>(tenant, sessionId, absent: null, async session =>
        {
            try
            {
                return await session.HandOverAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                session.Close();
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Closes every session gracefully (unavailable presence, then stream close), in parallel. With a durable
    /// outbox, what is still queued or unacknowledged stays there for the next start.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        _running = false;
        var sessions = _sessions.Values.ToArray();
        await Task.WhenAll(sessions.Select(s => s.StopAsync(cancellationToken, keepQueued: _store.IsDurable))).ConfigureAwait(false);
        _sessions.Clear();
        lock (_admission)
        {
            _perTenant.Clear();
        }

        // Not cancelled with the sessions' stop: what they journaled must still be committed, and the writer only
        // finishes the commit under way (a store that hangs is the store's own timeout to end).
        await _journal.DisposeAsync().ConfigureAwait(false);
        _events.Writer.TryComplete();
    }

    public async Task<SessionInfo> CreateAsync(string tenant, SessionSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        ArgumentNullException.ThrowIfNull(spec);
        _options.CheckHostPolicy(spec);
        if (spec.Id is not null && !SessionIdPattern().IsMatch(spec.Id))
        {
            throw new ArgumentException("A session id is 1-64 characters of letters, digits, '-' and '_'.", nameof(spec));
        }

        if (spec.Jid.Local is null)
        {
            throw new ArgumentException($"The JID must name an account (local@domain), not '{spec.Jid}'.", nameof(spec));
        }

        var id = spec.Id ?? NewSessionId();

        // Held until the session is stored (or given up): a change of its settings meanwhile is refused as busy rather
        // than made to a session still starting, and a removal of an earlier session with this id finishes first.
        var guard = await _guards.EnterAsync((tenant, id), cancellationToken).ConfigureAwait(false);
        try
        {
            var session = new ManagedSession(tenant, id, spec, _options, _keepAlive, _keyDerivations, _loggerFactory, _timeProvider, _timeProvider.GetUtcNow(), _journal.Open(tenant, id, lastEventId: 0), _store.IsDurable, journaled: Lookups(tenant, id), budget: BudgetOf(tenant), roomStore: _store, metrics: _metrics);
            try
            {
                Admit(tenant, id, session);
            }
            catch
            {
                session.Close();
                throw;
            }

            try
            {
                await session.StartAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
                // Stored once it proved it can log in, so a restart restores only sessions that worked.
                await _store.SaveAsync(new StoredSession(tenant, id, spec, session.Info.CreatedAt), cancellationToken).ConfigureAwait(false);
                return session.Info;
            }
            catch
            {
                if (_sessions.TryRemove(new KeyValuePair<(string, string), ManagedSession>((tenant, id), session)))
                {
                    CountTenant(tenant, -1);
                }

                using var cts = new CancellationTokenSource(_options.ConnectTimeout);
                await session.StopAsync(cts.Token).ConfigureAwait(false);
                session.Close();
                throw;
            }
        }
        finally
        {
            _guards.Exit(guard);
        }
    }

    /// <summary>Puts a new session in the table if the pool and its tenant have room and the id is free.</summary>
    private void Admit(string tenant, string id, ManagedSession session)
    {
        lock (_admission)
        {
            if (_sessions.Count >= _options.MaxSessions)
            {
                throw new SessionLimitException($"The gateway holds its maximum of {_options.MaxSessions} sessions; raise {SessionPoolOptions.Section}:MaxSessions.");
            }

            if (_perTenant.GetValueOrDefault(tenant) >= _options.MaxSessionsPerTenant)
            {
                throw new SessionLimitException($"This tenant holds its maximum of {_options.MaxSessionsPerTenant} sessions ({SessionPoolOptions.Section}:MaxSessionsPerTenant).");
            }

            if (!_sessions.TryAdd((tenant, id), session))
            {
                throw new SessionConflictException(id);
            }

            CountTenant(tenant, +1);
        }
    }

    /// <summary>
    /// Moves a session to new settings (<paramref name="change"/> applied to its spec) and returns it as it then stands;
    /// null when the pool holds no such session. A new password, host, port, TLS mode or pins are first tried on a login
    /// of their own, so settings that cannot log in are refused (as a create would be) and the session runs on as it
    /// was. Then the session is moved as it would be to another gateway process, with nothing lost: what it queued
    /// stays in the outbox (with a durable store), its event ids continue. It resumes its XMPP stream (XEP-0198 §5)
    /// unless the resource, carbons or initial presence change, which need a new stream (the old one is closed
    /// gracefully, and what arrived meanwhile is caught up from the archive). The new settings are stored before the
    /// move, so a restart uses them; the answer comes once the session is online again, or its first attempt failed.
    /// A failed session (e.g. its password was changed on the server) is started again this way, whatever the change,
    /// once a login with the resulting settings has worked.
    /// </summary>
    /// <exception cref="ArgumentException">The change breaks the pool's rules (host override, pins).</exception>
    /// <exception cref="SessionBusyException">Another change of the session, or its creation, is under way.</exception>
    public async Task<SessionInfo?> UpdateAsync(string tenant, string sessionId, SessionSpecChange change, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        ArgumentNullException.ThrowIfNull(change);
        var key = (tenant, sessionId);
        if (!_sessions.TryGetValue(key, out var current))
        {
            return null;
        }

        var spec = change.ApplyTo(current.Spec);
        _options.CheckHostPolicy(spec);
        // One change at a time, and none while the session is created, removed or released: busy rather than queued.
        if (!_guards.TryEnter(key, out var guard))
        {
            throw new SessionBusyException(sessionId);
        }

        try
        {
            // Read again under the guard: a removal or another change may have come first.
            if (!_sessions.TryGetValue(key, out current))
            {
                return null;
            }

            // A failed session is started again whatever changed (the server side may have been fixed), after its login
            // is tried: it failed for a reason retrying could not fix, so the settings must prove they now work.
            spec = change.ApplyTo(current.Spec);
            var failed = current.State == SessionState.Failed;
            if (!failed && !SpecTransition.ChangesAnything(current.Spec, spec))
            {
                return current.Info;
            }

            if (failed || SpecTransition.ChangesLogin(current.Spec, spec))
            {
                await ManagedSession.VerifyLoginAsync(spec, _options, _keyDerivations, _loggerFactory, cancellationToken).ConfigureAwait(false);
            }

            var stored = new StoredSession(tenant, sessionId, spec, current.CreatedAt);
            await _store.SaveAsync(stored, cancellationToken).ConfigureAwait(false);

            // From here the move runs to its end whatever the caller does: a session half moved would be lost.
            var next = await MoveAsync(current, stored, resume: !failed && !SpecTransition.ChangesStream(current.Spec, spec)).ConfigureAwait(false);
            if (next is null)
            {
                return null;
            }

            Log.SessionReconfigured(_logger, tenant, sessionId);
            await next.WaitUntilSettledAsync(cancellationToken).ConfigureAwait(false);
            return next.Info;
        }
        finally
        {
            _guards.Exit(guard);
        }
    }

    /// <summary>
    /// Stops <paramref name="current"/> as for a move to another process (its stream detached for resumption when
    /// <paramref name="resume"/> and the store keeps the outbox, else closed gracefully) and starts the stored session in
    /// its place. A session that is reconnecting hands over the stream it is trying to resume; a failed one has none, and
    /// the new session binds a new stream. Null when the session was removed meanwhile.
    /// </summary>
    private async Task<ManagedSession?> MoveAsync(ManagedSession current, StoredSession stored, bool resume)
    {
        using var stopping = new CancellationTokenSource(_options.ConnectTimeout);
        current.BeginReplacement();
        StreamResumption? resumption = null;
        try
        {
            if (resume && _store.IsDurable)
            {
                resumption = await current.HandOverAsync(stopping.Token).ConfigureAwait(false);
            }
            else
            {
                await current.StopAsync(stopping.Token, keepQueued: _store.IsDurable).ConfigureAwait(false);
            }
        }
        finally
        {
            current.Close();
        }

        var key = (stored.Tenant, stored.Id);
        return await HostAsync(stored, resumption, next => _sessions.TryUpdate(key, next, current), CancellationToken.None).ConfigureAwait(false);
    }

    private ByteBudget BudgetOf(string tenant) => _budgets.GetOrAdd(tenant, static (_, capacity) => new ByteBudget(capacity), _options.MaxQueuedBytesPerTenant);

    public IReadOnlyList<SessionInfo> List(string tenant) =>
        [.. _sessions.Where(p => p.Key.Tenant == tenant).Select(p => p.Value.Info).OrderBy(i => i.Id, StringComparer.Ordinal)];

    public IManagedSession? Find(string tenant, string sessionId) =>
        _sessions.TryGetValue((tenant, sessionId), out var session) ? session : null;

    public Task<bool> RemoveAsync(string tenant, string sessionId, CancellationToken cancellationToken = default) =>
        TakeOutAsync(tenant, sessionId, absent: false, async session =>
        {
            await session.StopAsync(cancellationToken).ConfigureAwait(false);
            session.Close();
            await _store.DeleteAsync(tenant, sessionId, cancellationToken).ConfigureAwait(false);
            await _store.DeleteSessionDataAsync(tenant, sessionId, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <summary>
    /// Takes the session out of the table under its guard (after any creation or change of it under way) and lets
    /// <paramref name="end"/> stop it; <paramref name="absent"/> when the pool holds no such session.
    /// </summary>
    private async Task<T> TakeOutAsync<T>(string tenant, string sessionId, T absent, Func<ManagedSession, Task<T>> end, CancellationToken cancellationToken)
    {
        var key = (tenant, sessionId);
        var guard = await _guards.EnterAsync(key, cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_sessions.TryRemove(key, out var session))
            {
                return absent;
            }

            CountTenant(tenant, -1);
            return await end(session).ConfigureAwait(false);
        }
        finally
        {
            _guards.Exit(guard);
        }
    }

    public Task<EventPage> ReadHistoryAsync(string tenant, string sessionId, long afterEventId, int limit, long maxBytes, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1);
        return _store.ReadAsync(tenant, sessionId, afterEventId, limit, maxBytes, cancellationToken);
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
            _keepAlive.Dispose();
            _metrics.Dispose();
        }
    }

    /// <summary>
    /// The messages a restored session published last (the journal's most recent events), oldest first: the
    /// archive id (XEP-0359 stanza-id) of the last one is where it catches up from on what arrived while the
    /// gateway was down, and all of them are repeats it must not publish again.
    /// </summary>
    private JournalLookups Lookups(string tenant, string sessionId) => new(
        (messageId, cancellationToken) => _store.FindMessageStatusAsync(tenant, sessionId, messageId, cancellationToken),
        (archiveId, cancellationToken) => _store.HasReceivedMessageAsync(tenant, sessionId, archiveId, cancellationToken));

    private async Task<IReadOnlyList<Message>> ReadRecentMessagesAsync(StoredSession stored, long lastEventId, CancellationToken cancellationToken)
    {
        const int Window = 1_000;
        var page = await _store.ReadAsync(stored.Tenant, stored.Id, Math.Max(0, lastEventId - Window), Window, long.MaxValue, cancellationToken).ConfigureAwait(false);
        return [.. page.Events.OfType<MessageReceived>().Select(e => e.Message)];
    }

    /// <summary>Stores one group commit of the journal: every session's events, outbox changes and archive cursors in one transaction.</summary>
    private async Task CommitAsync(IReadOnlyList<JournalEntry> entries, CancellationToken cancellationToken)
    {
        var batch = _batch;
        batch.Clear();
        foreach (var entry in entries)
        {
            entry.AddTo(batch);
        }

        if (batch.IsEmpty)
        {
            return;
        }

        // The wall clock, not the pool's TimeProvider: this measures the store, which a test clock does not drive.
        var started = Stopwatch.GetTimestamp();
        await _store.CommitAsync(batch, cancellationToken).ConfigureAwait(false);
        _metrics.Committed(Stopwatch.GetElapsedTime(started), entries.Count);
    }

    private void CountTenant(string tenant, int change)
    {
        lock (_admission)
        {
            var count = _perTenant.GetValueOrDefault(tenant) + change;
            if (count > 0)
            {
                _perTenant[tenant] = count;
            }
            else
            {
                _perTenant.Remove(tenant);
            }
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex SessionIdPattern();

    /// <summary>
    /// A session id for a caller that named none: 12 random letters and digits (71 bits). Not a <see cref="StanzaId"/>,
    /// whose first characters are its time: sessions made in the same millisecond would share them.
    /// </summary>
    public static string NewSessionId() => System.Security.Cryptography.RandomNumberGenerator.GetString(SessionIdCharacters, 12);
}
