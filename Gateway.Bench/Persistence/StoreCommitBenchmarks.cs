using System.Xml.Linq;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Gateway.Api.Persistence;
using Gateway.Api.Persistence.Sqlite;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Persistence;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Bench.Persistence;

/// <summary>
/// What the store costs per message, on a temp SQLite file (WAL, synchronous=NORMAL, as in production): the store as
/// it was (<see cref="LegacyGatewayStore"/>, the baseline) against <see cref="IPoolStore.CommitAsync"/>, in the same
/// run. <see cref="Messages"/> messages per invocation, <see cref="BatchSize"/> of them per commit, one session;
/// every figure is per message.
/// </summary>
/// <remarks>
/// <para>
/// Sent: a message is accepted (outbox entry + <c>queued</c> status), then acknowledged (outbox removal + <c>sent</c> and
/// <c>acked</c> statuses). Before, each outbox change was a transaction of its own (issued concurrently, as concurrent
/// HTTP requests and acknowledgements did) while statuses went through the journal's group commit; now each step
/// is one <see cref="IPoolStore.CommitAsync"/> of a <see cref="JournalBatch"/> for the whole batch.
/// </para>
/// <para>Received: a ~400-byte chat message event per message, journaled in batches.</para>
/// <para>Public and not sealed: BenchmarkDotNet generates a class that derives from it.</para>
/// </remarks>
[Config(typeof(BenchConfig))]
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
[CategoriesColumn]
public class StoreCommitBenchmarks
{
    public const int Messages = 64;

    private const string Tenant = "tenant-a";
    private const string Session = "session-1";
    private static readonly Jid Peer = Jid.Parse("juliet@capulet.lit");

    private readonly JournalBatch _batch = new();
    private string _directory = "";
    private LegacyGatewayStore _legacy = null!;
    private SqliteGatewayStore _store = null!;
    private Message[] _received = [];
    private long _legacyEventId;
    private long _eventId;
    private long _stanzas;

    [Params(1, 16, 64)]
    public int BatchSize { get; set; }

    /// <summary>Received message <paramref name="index"/>: the benchmarks' typical chat stanza, parsed.</summary>
    internal static Message ReceivedMessage(int index) => (Message)StanzaCodec.Parse(XElement.Parse(ChatMessages.Stanza(index)));

    internal static MessageStatusChanged Status(string tenant, string sessionId, long eventId, string messageId, DeliveryStatus status)
    {
        // Whole milliseconds, as both codecs store them: the status compares equal after a round trip.
        var now = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        return new MessageStatusChanged(tenant, sessionId, eventId, now, new MessageStatus(messageId, Peer, status, now, now));
    }

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("gateway-bench-store-").FullName;
        var dataProtection = DataProtectionProvider.Create(new DirectoryInfo(Path.Combine(_directory, "keys")));
        _legacy = new LegacyGatewayStore(Path.Combine(_directory, "legacy.db"), dataProtection);
        _store = new SqliteGatewayStore(new GatewayStorageOptions { Path = Path.Combine(_directory, "gateway.db") }, dataProtection, NullLogger<SqliteGatewayStore>.Instance);
        _received = [.. Enumerable.Range(0, Messages).Select(ReceivedMessage)];
        Verify();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _legacy.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Messages)]
    [BenchmarkCategory("Sent")]
    public async Task SentLegacy()
    {
        for (var first = 0; first < Messages; first += BatchSize)
        {
            var ids = NextStanzaIds();
            var accepted = new Task[BatchSize + 1];
            var queued = new SessionEvent[BatchSize];
            for (var i = 0; i < BatchSize; i++)
            {
                accepted[i] = _legacy.AddAsync(Outgoing(ids[i]));
                queued[i] = Status(Tenant, Session, ++_legacyEventId, ids[i], DeliveryStatus.Queued);
            }

            accepted[BatchSize] = _legacy.AppendAsync(queued);
            await Task.WhenAll(accepted);

            var acknowledged = new Task[BatchSize + 1];
            var statuses = new SessionEvent[2 * BatchSize];
            for (var i = 0; i < BatchSize; i++)
            {
                statuses[2 * i] = Status(Tenant, Session, ++_legacyEventId, ids[i], DeliveryStatus.Sent);
                statuses[(2 * i) + 1] = Status(Tenant, Session, ++_legacyEventId, ids[i], DeliveryStatus.Acked);
                acknowledged[i] = _legacy.RemoveAsync(Tenant, Session, ids[i]);
            }

            acknowledged[BatchSize] = _legacy.AppendAsync(statuses);
            await Task.WhenAll(acknowledged);
        }
    }

    [Benchmark(OperationsPerInvoke = Messages)]
    [BenchmarkCategory("Sent")]
    public async Task SentCommit()
    {
        for (var first = 0; first < Messages; first += BatchSize)
        {
            var ids = NextStanzaIds();
            _batch.Clear();
            for (var i = 0; i < BatchSize; i++)
            {
                _batch.OutboxAdditions.Add(Outgoing(ids[i]));
                _batch.Events.Add(Status(Tenant, Session, ++_eventId, ids[i], DeliveryStatus.Queued));
            }

            await _store.CommitAsync(_batch);

            _batch.Clear();
            for (var i = 0; i < BatchSize; i++)
            {
                _batch.OutboxRemovals.Add(new OutboxKey(Tenant, Session, ids[i]));
                _batch.Events.Add(Status(Tenant, Session, ++_eventId, ids[i], DeliveryStatus.Sent));
                _batch.Events.Add(Status(Tenant, Session, ++_eventId, ids[i], DeliveryStatus.Acked));
            }

            await _store.CommitAsync(_batch);
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Messages)]
    [BenchmarkCategory("Received")]
    public async Task ReceivedLegacy()
    {
        for (var first = 0; first < Messages; first += BatchSize)
        {
            var events = new SessionEvent[BatchSize];
            for (var i = 0; i < BatchSize; i++)
            {
                events[i] = new MessageReceived(Tenant, Session, ++_legacyEventId, DateTimeOffset.UtcNow, _received[first + i]);
            }

            await _legacy.AppendAsync(events);
        }
    }

    [Benchmark(OperationsPerInvoke = Messages)]
    [BenchmarkCategory("Received")]
    public async Task ReceivedCommit()
    {
        for (var first = 0; first < Messages; first += BatchSize)
        {
            _batch.Clear();
            for (var i = 0; i < BatchSize; i++)
            {
                _batch.Events.Add(new MessageReceived(Tenant, Session, ++_eventId, DateTimeOffset.UtcNow, _received[first + i]));
            }

            await _store.CommitAsync(_batch);
        }
    }

    private static OutboxEntry Outgoing(string id) => new(
        Tenant,
        Session,
        new Message
        {
            Id = id,
            To = Peer,
            Type = MessageType.Chat,
            Body = ChatMessages.Body,
            Payload = [new XElement(ReceiptElements.OriginId, new XAttribute("id", id)), ReceiptElements.RequestReceipt(), ReceiptElements.MarkableElement()],
        },
        WaitForAck: false,
        DateTimeOffset.UtcNow);

    private string[] NextStanzaIds()
    {
        var ids = new string[BatchSize];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = $"m{++_stanzas:D8}-5c1e-4f7b-9a2d";
        }

        return ids;
    }

    /// <summary>Both stores end a sent round with an empty outbox and every event stored: a broken path fails the run instead of being timed.</summary>
    private void Verify()
    {
        SentCommit().GetAwaiter().GetResult();
        ReceivedCommit().GetAwaiter().GetResult();
        SentLegacy().GetAwaiter().GetResult();
        ReceivedLegacy().GetAwaiter().GetResult();
        var page = _store.ReadAsync(Tenant, Session, 0, 10_000, long.MaxValue).GetAwaiter().GetResult();
        if (page.Events.Count != 4 * Messages || page.LastEventId != _eventId || page.Events[^1] is not MessageReceived
            || _store.LoadAsync(Tenant, Session).GetAwaiter().GetResult().Count != 0 || _legacyEventId != _eventId)
        {
            throw new InvalidOperationException($"The store did not keep what the benchmark committed ({page.Events.Count} events, last {page.LastEventId}).");
        }
    }
}
