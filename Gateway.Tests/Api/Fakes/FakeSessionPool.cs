using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;

namespace Gateway.Tests.Api.Fakes;

/// <summary>
/// A pool that does what the test says: for edge cases that are hard to provoke with a real server (a full queue, a
/// reconnecting session, a timeout, an exotic stanza error). End-to-end behaviour is tested against the real pool.
/// </summary>
internal sealed class FakeSessionPool : ISessionPool
{
    private readonly ConcurrentDictionary<(string Tenant, string Id), FakeSession> _sessions = new();
    private readonly Channel<SessionEvent> _events = Channel.CreateUnbounded<SessionEvent>();

    /// <summary>What CreateAsync does; by default it adds an online session named after the spec.</summary>
    public Func<string, SessionSpec, CancellationToken, Task<SessionInfo>>? OnCreate { get; set; }

    public ConcurrentQueue<(string Tenant, SessionSpec Spec)> Created { get; } = new();

    public bool Running { get; set; } = true;

    public FakeSession Add(string tenant, string id, string jid = "bot@example.com")
    {
        var session = new FakeSession(new SessionInfo(id, tenant, Jid.Parse(jid), SessionState.Online, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch)
        {
            BoundJid = Jid.Parse(jid + "/gateway"),
            StreamManagement = true,
        });
        _sessions[(tenant, id)] = session;
        return session;
    }

    public Task<SessionInfo> CreateAsync(string tenant, SessionSpec spec, CancellationToken cancellationToken = default)
    {
        Created.Enqueue((tenant, spec));
        if (OnCreate is { } create)
        {
            return create(tenant, spec, cancellationToken);
        }

        var id = spec.Id ?? "generated1";
        if (_sessions.ContainsKey((tenant, id)))
        {
            throw new SessionConflictException(id);
        }

        return Task.FromResult(Add(tenant, id, spec.Jid.ToString()).Info);
    }

    public IReadOnlyList<SessionInfo> List(string tenant) =>
        [.. _sessions.Where(p => p.Key.Tenant == tenant).Select(p => p.Value.Info).OrderBy(i => i.Id, StringComparer.Ordinal)];

    public IManagedSession? Find(string tenant, string sessionId) => _sessions.GetValueOrDefault((tenant, sessionId));

    public Task<bool> RemoveAsync(string tenant, string sessionId, CancellationToken cancellationToken = default) =>
        Task.FromResult(_sessions.TryRemove((tenant, sessionId), out _));

    /// <summary>What UpdateAsync was asked, in order.</summary>
    public ConcurrentQueue<(string Tenant, string Id, SessionSpecChange Change)> Updated { get; } = new();

    /// <summary>What UpdateAsync does for a known session; by default it answers the session as it is.</summary>
    public Func<SessionInfo, SessionSpecChange, Task<SessionInfo>>? OnUpdate { get; set; }

    public async Task<SessionInfo?> UpdateAsync(string tenant, string sessionId, SessionSpecChange change, CancellationToken cancellationToken = default)
    {
        Updated.Enqueue((tenant, sessionId, change));
        if (!_sessions.TryGetValue((tenant, sessionId), out var session))
        {
            return null;
        }

        return OnUpdate is { } update ? await update(session.Info, change) : session.Info;
    }

    public PoolHealth GetHealth() => new(
        Running,
        _sessions.Values.GroupBy(s => s.Info.State).ToImmutableDictionary(g => g.Key, g => g.Count()));

    public Task<Gateway.Xmpp.Pool.Persistence.EventPage> ReadHistoryAsync(string tenant, string sessionId, long afterEventId, int limit, long maxBytes, CancellationToken cancellationToken = default) =>
        Task.FromResult(new Gateway.Xmpp.Pool.Persistence.EventPage([], 0, 0, Gap: false));

    public async IAsyncEnumerable<SessionEvent> ReadEventsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var e in _events.Reader.ReadAllAsync(cancellationToken))
        {
            yield return e;
        }
    }
}

/// <summary>A session that records what is sent through it and answers as the test says.</summary>
internal sealed class FakeSession(SessionInfo info) : IManagedSession
{
    public SessionInfo Info { get; set; } = info;

    public Jid Jid => Info.BoundJid ?? Info.Jid;

    public ConcurrentQueue<(Stanza Stanza, DeliveryWait Wait)> Enqueued { get; } = new();

    /// <summary>The reports each accepted send that chose them asked for, by stanza id.</summary>
    public ConcurrentQueue<(string? StanzaId, RecipientReports Reports)> ReportsAsked { get; } = new();

    public ConcurrentQueue<Iq> IqRequests { get; } = new();

    public ConcurrentQueue<Iq> Answers { get; } = new();

    /// <summary>Throws from every send (EnqueueAsync, SendIqAsync, AnswerIqAsync) when set.</summary>
    public Exception? Failure { get; set; }

    /// <summary>
    /// Chooses, per EnqueueAsync call, an exception to throw instead of queuing (null: queue it): a queue that fills
    /// up mid-batch, one acknowledgement that times out.
    /// </summary>
    public Func<Stanza, DeliveryWait, Exception?>? EnqueueFailure { get; set; }

    /// <summary>The reply to SendIqAsync; default an empty result.</summary>
    public Func<Iq, Iq>? OnIq { get; set; }

    /// <summary>What AnswerIqAsync returns; default true.</summary>
    public bool AnswerAccepted { get; set; } = true;

    /// <summary>The session's archive reads; none unless a test gives one.</summary>
    public IArchiveHistory? History { get; set; }

    public Task<SendReceipt> EnqueueAsync(Stanza stanza, DeliveryWait wait, CancellationToken cancellationToken = default)
    {
        ThrowIfFailing();
        if (EnqueueFailure?.Invoke(stanza, wait) is { } failure)
        {
            throw failure;
        }

        Enqueued.Enqueue((stanza, wait));
        return Task.FromResult(new SendReceipt(stanza.Id ?? "fake-id", wait == DeliveryWait.Server));
    }

    public async Task<SendReceipt> EnqueueAsync(Stanza stanza, DeliveryWait wait, string? idempotencyKey, RecipientReports reports, CancellationToken cancellationToken = default)
    {
        var receipt = await EnqueueAsync(stanza, wait, cancellationToken);
        ReportsAsked.Enqueue((stanza.Id, reports));
        return receipt;
    }

    public Task<bool> AnswerIqAsync(Iq answer, CancellationToken cancellationToken = default)
    {
        ThrowIfFailing();
        Answers.Enqueue(answer);
        return Task.FromResult(AnswerAccepted);
    }

    public void AbortConnection()
    {
    }

    public Task SendAsync(Stanza stanza, CancellationToken cancellationToken = default) => EnqueueAsync(stanza, DeliveryWait.Queued, cancellationToken);

    public Task<Iq> SendIqAsync(Iq request, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ThrowIfFailing();
        IqRequests.Enqueue(request);
        return Task.FromResult(OnIq?.Invoke(request) ?? request.ResultReply() with { From = request.To, To = Jid });
    }

    private void ThrowIfFailing()
    {
        if (Failure is { } failure)
        {
            throw failure;
        }
    }
}
