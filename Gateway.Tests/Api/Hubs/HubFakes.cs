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

    public int Reads => Volatile.Read(ref _reads);

    public void Publish(SessionEvent e) => _events.Writer.TryWrite(e);

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

    public Task<Gateway.Xmpp.Pool.Persistence.EventPage> ReadHistoryAsync(string tenant, string sessionId, long afterEventId, int limit, CancellationToken cancellationToken = default) =>
        Task.FromResult(new Gateway.Xmpp.Pool.Persistence.EventPage([], 0, 0, false));
}

/// <summary>A hub context whose groups record what they are sent, or misbehave as the test says.</summary>
internal sealed class RecordingHubContext : IHubContext<GatewayHub, IGatewayClient>
{
    private readonly ConcurrentDictionary<string, RecordingClient> _groups = new();

    public RecordingHubContext() => Clients = new GroupClients(this);

    public IHubClients<IGatewayClient> Clients { get; }

    public IGroupManager Groups => throw new NotSupportedException();

    /// <summary>What every group received, in order: (group, kind, event id).</summary>
    public Channel<(string Group, string Kind, long EventId)> Delivered { get; } = Channel.CreateUnbounded<(string, string, long)>();

    /// <summary>Sends to this group throw.</summary>
    public ConcurrentDictionary<string, bool> Failing { get; } = new();

    /// <summary>Sends to this group never complete until cancelled.</summary>
    public ConcurrentDictionary<string, bool> Stuck { get; } = new();

    private sealed class GroupClients(RecordingHubContext owner) : IHubClients<IGatewayClient>
    {
        public IGatewayClient Group(string groupName) => owner._groups.GetOrAdd(groupName, name => new RecordingClient(owner, name));

        public IGatewayClient All => throw new NotSupportedException();

        public IGatewayClient AllExcept(IReadOnlyList<string> excludedConnectionIds) => throw new NotSupportedException();

        public IGatewayClient Client(string connectionId) => throw new NotSupportedException();

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
