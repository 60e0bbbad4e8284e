using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Gateway.Api.Contracts;
using Gateway.Api.Hubs;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Microsoft.AspNetCore.SignalR;

namespace Gateway.Tests.Api.Hubs;

/// <summary>
/// A pool whose event stream the test writes. For dispatcher edge cases that are hard to provoke with the real pool
/// (a failing stream, a stream that ends); end-to-end behaviour is tested against the real pool.
/// </summary>
internal sealed class FakeEventPool : ISessionPool
{
    private readonly Channel<SessionEvent> _events = Channel.CreateUnbounded<SessionEvent>();
    private int _reads;

    /// <summary>Makes the next <see cref="ReadEventsAsync"/> calls throw, one per exception.</summary>
    public ConcurrentQueue<Exception> ReadFailures { get; } = new();

    private readonly List<SessionEvent> _journal = [];

    public int Reads => Volatile.Read(ref _reads);

    /// <summary>Events before this id are "dropped by retention": reads after an earlier id report a gap.</summary>
    public long OldestKept { get; set; } = 1;

    /// <summary>Runs at the start of every <see cref="ReadHistoryAsync"/> (e.g. to publish live events racing with replay).</summary>
    public Func<Task>? OnReadHistory { get; set; }

    /// <summary>Journals the event, then hands it to the reader, as the real pool does.</summary>
    public void Publish(SessionEvent e)
    {
        Journal(e);
        _events.Writer.TryWrite(e);
    }

    /// <summary>Journals the event without handing it out: as if the pool's buffer dropped it.</summary>
    public void Journal(SessionEvent e)
    {
        lock (_journal)
        {
            _journal.Add(e);
        }
    }

    public void Complete() => _events.Writer.TryComplete();

    public async IAsyncEnumerable<SessionEvent> ReadEventsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _reads);
        if (ReadFailures.TryDequeue(out var failure))
        {
            throw failure;
        }

        await foreach (var e in _events.Reader.ReadAllAsync(cancellationToken))
        {
            yield return e;
        }
    }

    public Task<SessionInfo> CreateAsync(string tenant, SessionSpec spec, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public IReadOnlyList<SessionInfo> List(string tenant) => [];

    /// <summary>What <see cref="Find"/> does; by default no session exists.</summary>
    public Func<string, string, IManagedSession?> OnFind { get; set; } = (_, _) => null;

    public IManagedSession? Find(string tenant, string sessionId) => OnFind(tenant, sessionId);

    public Task<bool> RemoveAsync(string tenant, string sessionId, CancellationToken cancellationToken = default) => Task.FromResult(false);

    public PoolHealth GetHealth() => new(true, ImmutableDictionary<SessionState, int>.Empty);

    public async Task<Gateway.Xmpp.Pool.Persistence.EventPage> ReadHistoryAsync(string tenant, string sessionId, long afterEventId, int limit, CancellationToken cancellationToken = default)
    {
        if (OnReadHistory is { } hook)
        {
            await hook();
        }

        lock (_journal)
        {
            var mine = _journal.Where(e => e.Tenant == tenant && e.SessionId == sessionId).ToList();
            var events = mine.Where(e => e.EventId > afterEventId && e.EventId >= OldestKept).Take(limit).ToList();
            var last = mine.Count == 0 ? 0 : mine.Max(e => e.EventId);
            return new(events, OldestKept, last, Gap: afterEventId + 1 < OldestKept && last >= OldestKept);
        }
    }
}

/// <summary>A hub context whose connections (named by connection id) record what they are sent, or misbehave as the test says.</summary>
internal sealed class RecordingHubContext : IHubContext<GatewayHub, IGatewayClient>
{
    private readonly ConcurrentDictionary<string, RecordingClient> _groups = new();

    public RecordingHubContext() => Clients = new GroupClients(this);

    public IHubClients<IGatewayClient> Clients { get; }

    public IGroupManager Groups => throw new NotSupportedException();

    /// <summary>What every connection received, in order: (connection id, kind, event id).</summary>
    public Channel<(string Connection, string Kind, long EventId)> Delivered { get; } = Channel.CreateUnbounded<(string, string, long)>();

    /// <summary>Sends to this connection throw.</summary>
    public ConcurrentDictionary<string, bool> Failing { get; } = new();

    /// <summary>Sends to this connection never complete until cancelled.</summary>
    public ConcurrentDictionary<string, bool> Stuck { get; } = new();

    private sealed class GroupClients(RecordingHubContext owner) : IHubClients<IGatewayClient>
    {
        public IGatewayClient Group(string groupName) => throw new NotSupportedException();

        public IGatewayClient All => throw new NotSupportedException();

        public IGatewayClient AllExcept(IReadOnlyList<string> excludedConnectionIds) => throw new NotSupportedException();

        public IGatewayClient Client(string connectionId) => owner._groups.GetOrAdd(connectionId, name => new RecordingClient(owner, name));

        public IGatewayClient Clients(IReadOnlyList<string> connectionIds) => throw new NotSupportedException();

        public IGatewayClient GroupExcept(string groupName, IReadOnlyList<string> excludedConnectionIds) => throw new NotSupportedException();

        public IGatewayClient Groups(IReadOnlyList<string> groupNames) => throw new NotSupportedException();

        public IGatewayClient User(string userId) => throw new NotSupportedException();

        public IGatewayClient Users(IReadOnlyList<string> userIds) => throw new NotSupportedException();
    }

    private sealed class RecordingClient(RecordingHubContext owner, string group) : IGatewayClient
    {
        public Task OnMessage(EventEnvelope<MessageDto> e, CancellationToken cancellationToken) => Record(e, cancellationToken);

        public Task OnPresence(EventEnvelope<PresenceDto> e, CancellationToken cancellationToken) => Record(e, cancellationToken);

        public Task OnRosterPush(EventEnvelope<RosterItemDto> e, CancellationToken cancellationToken) => Record(e, cancellationToken);

        public Task OnIqRequest(EventEnvelope<IqRequestDto> e, CancellationToken cancellationToken) => Record(e, cancellationToken);

        public Task OnSessionState(EventEnvelope<SessionStateDto> e, CancellationToken cancellationToken) => Record(e, cancellationToken);

        public Task OnMessageStatus(EventEnvelope<MessageStatusDto> e, CancellationToken cancellationToken) => Record(e, cancellationToken);

        private async Task Record<T>(EventEnvelope<T> e, CancellationToken cancellationToken)
        {
            if (owner.Failing.ContainsKey(group))
            {
                throw new IOException("The connection is gone.");
            }

            if (owner.Stuck.ContainsKey(group))
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            owner.Delivered.Writer.TryWrite((group, e.Kind, e.EventId));
        }
    }
}

/// <summary>Builds pool events with sensible defaults.</summary>
internal static class Events
{
    public static readonly DateTimeOffset At = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);

    public static MessageReceived Message(string tenant, string session, long id, string body = "hi") =>
        new(tenant, session, id, At, new Message { From = Jid.Parse("bob@example.com/phone"), To = Jid.Parse("alice@example.com/gw"), Type = MessageType.Chat, Body = body, Id = $"m-{id}" });

    public static SessionStateChanged State(string tenant, string session, long id, SessionState state, string? reason = null) =>
        new(tenant, session, id, At, state, reason, reason is null ? null : "detail");
}
