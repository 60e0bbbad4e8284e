using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using Gateway.Api.Hubs;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.Logging.Abstractions;

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

    /// <summary>The limit of every <see cref="ReadHistoryAsync"/> call, in order.</summary>
    public ConcurrentQueue<int> HistoryLimits { get; } = new();

    /// <summary>The byte bound of every <see cref="ReadHistoryAsync"/> call, in order.</summary>
    public ConcurrentQueue<long> HistoryMaxBytes { get; } = new();

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

    public Task<SessionInfo?> UpdateAsync(string tenant, string sessionId, SessionSpecChange change, CancellationToken cancellationToken = default) => Task.FromResult<SessionInfo?>(null);

    public PoolHealth GetHealth() => new(true, ImmutableDictionary<SessionState, int>.Empty);

    public async Task<Gateway.Xmpp.Pool.Persistence.EventPage> ReadHistoryAsync(string tenant, string sessionId, long afterEventId, int limit, long maxBytes, CancellationToken cancellationToken = default)
    {
        HistoryLimits.Enqueue(limit);
        HistoryMaxBytes.Enqueue(maxBytes);
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

/// <summary>
/// Hub connections as the dispatcher sees them: real <see cref="HubConnectionContext"/>s (SignalR's own write path, JSON
/// protocol) on in-memory pipes, registered by id, each read by a client that parses what it receives and records it,
/// or misbehaving as the test says. Set <see cref="Failing"/> and <see cref="Stuck"/> before <see cref="Connect"/>.
/// </summary>
internal sealed class RecordingConnections : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, TestConnection> _connections = new(StringComparer.Ordinal);

    public HubConnectionRegistry Registry { get; } = new(NullLogger<HubConnectionRegistry>.Instance);

    /// <summary>The protocol of every connection; counts how often an invocation is serialised.</summary>
    public CountingHubProtocol Protocol { get; } = new();

    /// <summary>What every connection received, in order: (connection id, kind, event id); a subscription's end as kind <c>subscription-ended</c> with its last event id.</summary>
    public Channel<(string Connection, string Kind, long EventId)> Delivered { get; } = Channel.CreateUnbounded<(string, string, long)>();

    /// <summary>Writes to this connection throw.</summary>
    public ConcurrentDictionary<string, bool> Failing { get; } = new();

    /// <summary>This connection reads nothing (its transport takes one unread byte at most) until <see cref="TestConnection.StartReading"/>.</summary>
    public ConcurrentDictionary<string, bool> Stuck { get; } = new();

    public TestConnection this[string connectionId] => _connections[connectionId];

    /// <summary>The connection with this id, opened (and registered) on first use.</summary>
    public TestConnection Connect(string connectionId) => _connections.GetOrAdd(connectionId, id =>
    {
        var connection = new TestConnection(this, id, failing: Failing.ContainsKey(id), stuck: Stuck.ContainsKey(id));
        Registry.Add(connection);
        return connection;
    });

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections.Values)
        {
            await connection.DisposeAsync();
        }
    }
}

/// <summary>A real <see cref="HubConnectionContext"/> whose transport is a pair of pipes, and the client reading it.</summary>
internal sealed class TestConnection : HubConnectionContext, IAsyncDisposable
{
    private const byte RecordSeparator = 0x1E;
    private static readonly JsonSerializerOptions Json = new JsonHubProtocolOptions().PayloadSerializerOptions;

    private readonly RecordingConnections _owner;
    private readonly bool _failing;
    private readonly Pipe _toClient;
    private readonly Pipe _toServer = new();
    private readonly Lock _gate = new();
    private Task? _reader;

    public TestConnection(RecordingConnections owner, string id, bool failing, bool stuck)
        : this(owner, id, failing, stuck ? new Pipe(new PipeOptions(pauseWriterThreshold: 1, resumeWriterThreshold: 1)) : new Pipe())
    {
        if (!stuck)
        {
            StartReading();
        }
    }

    private TestConnection(RecordingConnections owner, string id, bool failing, Pipe toClient)
        : base(
            new DefaultConnectionContext(id, new DuplexPipe(new Pipe().Reader, toClient.Writer), new DuplexPipe(toClient.Reader, new Pipe().Writer)),
            new HubConnectionContextOptions { KeepAliveInterval = TimeSpan.FromMinutes(5), ClientTimeoutInterval = TimeSpan.FromMinutes(5), MaximumParallelInvocations = 1 },
            NullLoggerFactory.Instance)
    {
        _owner = owner;
        _failing = failing;
        _toClient = toClient;
        Protocol = owner.Protocol;
    }

    /// <summary>What this connection received, in order: (kind, event id); a subscription's end as kind <c>subscription-ended</c>.</summary>
    public Channel<(string Kind, long EventId)> Received { get; } = Channel.CreateUnbounded<(string, long)>();

    /// <summary>Every <c>OnSubscriptionEnded</c> this connection received.</summary>
    public Channel<SubscriptionEndedDto> Ended { get; } = Channel.CreateUnbounded<SubscriptionEndedDto>();

    /// <summary>The client starts (or, for a stuck one, begins at last) to read.</summary>
    public void StartReading()
    {
        lock (_gate)
        {
            _reader ??= Task.Run(ReadAsync);
        }
    }

    public override ValueTask WriteAsync(SerializedHubMessage message, CancellationToken cancellationToken = default) =>
        _failing ? ValueTask.FromException(new IOException("The connection is gone.")) : base.WriteAsync(message, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _toClient.Writer.CompleteAsync();
        if (_reader is { } reader)
        {
            await reader;
        }
    }

    private async Task ReadAsync()
    {
        var reader = _toClient.Reader;
        while (true)
        {
            var result = await reader.ReadAsync();
            var buffer = result.Buffer;
            while (buffer.PositionOf(RecordSeparator) is { } end)
            {
                Record(buffer.Slice(0, end));
                buffer = buffer.Slice(buffer.GetPosition(1, end));
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                await reader.CompleteAsync();
                return;
            }
        }
    }

    private void Record(ReadOnlySequence<byte> message)
    {
        var reader = new Utf8JsonReader(message);
        using var json = JsonDocument.ParseValue(ref reader);
        var root = json.RootElement;
        if (root.GetProperty("type").GetInt32() != 1)
        {
            return; // only invocations carry events
        }

        var argument = root.GetProperty("arguments")[0];
        (string Kind, long EventId) delivery;
        if (root.GetProperty("target").GetString() == nameof(IGatewayClient.OnSubscriptionEnded))
        {
            var ended = argument.Deserialize<SubscriptionEndedDto>(Json)!;
            Ended.Writer.TryWrite(ended);
            delivery = ("subscription-ended", ended.LastEventId);
        }
        else
        {
            delivery = (argument.GetProperty("kind").GetString()!, argument.GetProperty("eventId").GetInt64());
        }

        Received.Writer.TryWrite(delivery);
        _owner.Delivered.Writer.TryWrite((ConnectionId, delivery.Kind, delivery.EventId));
    }

    private sealed record DuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}

/// <summary>SignalR's JSON protocol, counting how many times it serialises an invocation (the hub's events).</summary>
internal sealed class CountingHubProtocol : IHubProtocol
{
    private readonly JsonHubProtocol _json = new();
    private int _invocations;

    public int InvocationsSerialised => Volatile.Read(ref _invocations);

    public string Name => _json.Name;

    public int Version => _json.Version;

    public TransferFormat TransferFormat => _json.TransferFormat;

    public bool IsVersionSupported(int version) => _json.IsVersionSupported(version);

    public bool TryParseMessage(ref ReadOnlySequence<byte> input, IInvocationBinder binder, [NotNullWhen(true)] out HubMessage? message) =>
        _json.TryParseMessage(ref input, binder, out message);

    public void WriteMessage(HubMessage message, IBufferWriter<byte> output)
    {
        Count(message);
        _json.WriteMessage(message, output);
    }

    public ReadOnlyMemory<byte> GetMessageBytes(HubMessage message)
    {
        Count(message);
        return _json.GetMessageBytes(message);
    }

    private void Count(HubMessage message)
    {
        if (message is InvocationMessage)
        {
            Interlocked.Increment(ref _invocations);
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
