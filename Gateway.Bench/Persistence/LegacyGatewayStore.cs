using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using Gateway.Api.Persistence;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Persistence;
using Gateway.Xmpp.Protocol;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;

namespace Gateway.Bench.Persistence;

/// <summary>
/// The baseline of <see cref="StoreCommitBenchmarks"/>: the store's write path as it was at commit <c>a58875e</c>,
/// before <see cref="IPoolStore.CommitAsync"/>, frozen here so both are measured in the same run. Outbox additions and
/// removals each ran in a transaction of their own (statements compiled per call); events were appended in group
/// commits; every value was sealed with Data Protection (<see cref="LegacyPayloadProtector"/>, <c>dp1:</c>); statuses
/// were JSON; stanzas were serialised with a new <c>XmlWriter</c> each. Only what the benchmark calls is kept, and the
/// schema is version 2's.
/// </summary>
internal sealed class LegacyGatewayStore : IAsyncDisposable
{
    private const int MaxGroupRows = 8_192;

    private readonly string _connectionString;
    private readonly LegacyPayloadProtector _payloads;
    private readonly SqliteConnection _writer;
    private readonly Channel<WriteRequest> _writes = Channel.CreateUnbounded<WriteRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SqliteCommand _insertEvent;
    private readonly SqliteCommand _upsertHead;
    private readonly Task _writeLoop;

    public LegacyGatewayStore(string path, IDataProtectionProvider dataProtection)
    {
        _payloads = new LegacyPayloadProtector(dataProtection);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        _writer = new SqliteConnection(_connectionString);
        _writer.Open();
        using (var command = _writer.CreateCommand())
        {
            command.CommandText = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;";
            command.ExecuteNonQuery();
            command.CommandText = """
                CREATE TABLE events (
                    tenant TEXT NOT NULL, session_id TEXT NOT NULL, event_id INTEGER NOT NULL, received_at INTEGER NOT NULL,
                    kind TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (tenant, session_id, event_id)) STRICT;
                CREATE INDEX events_by_received_at ON events (received_at);
                CREATE TABLE session_event_heads (
                    tenant TEXT NOT NULL, session_id TEXT NOT NULL, last_event_id INTEGER NOT NULL,
                    PRIMARY KEY (tenant, session_id)) STRICT, WITHOUT ROWID;
                CREATE TABLE outbox (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT, tenant TEXT NOT NULL, session_id TEXT NOT NULL, stanza_id TEXT NOT NULL,
                    accepted_at INTEGER NOT NULL, wait_for_ack INTEGER NOT NULL, stanza TEXT NOT NULL) STRICT;
                CREATE UNIQUE INDEX outbox_by_stanza ON outbox (tenant, session_id, stanza_id);
                """;
            command.ExecuteNonQuery();
        }

        _insertEvent = _writer.CreateCommand();
        _insertEvent.CommandText = """
            INSERT INTO events (tenant, session_id, event_id, received_at, kind, data)
            VALUES ($tenant, $session, $event, $receivedAt, $kind, $data)
            ON CONFLICT (tenant, session_id, event_id) DO NOTHING
            """;
        _insertEvent.Parameters.Add("$tenant", SqliteType.Text);
        _insertEvent.Parameters.Add("$session", SqliteType.Text);
        _insertEvent.Parameters.Add("$event", SqliteType.Integer);
        _insertEvent.Parameters.Add("$receivedAt", SqliteType.Integer);
        _insertEvent.Parameters.Add("$kind", SqliteType.Text);
        _insertEvent.Parameters.Add("$data", SqliteType.Text);
        _insertEvent.Prepare();
        _upsertHead = _writer.CreateCommand();
        _upsertHead.CommandText = """
            INSERT INTO session_event_heads (tenant, session_id, last_event_id) VALUES ($tenant, $session, $last)
            ON CONFLICT (tenant, session_id) DO UPDATE SET last_event_id = max(last_event_id, excluded.last_event_id)
            """;
        _upsertHead.Parameters.Add("$tenant", SqliteType.Text);
        _upsertHead.Parameters.Add("$session", SqliteType.Text);
        _upsertHead.Parameters.Add("$last", SqliteType.Integer);
        _upsertHead.Prepare();
        _writeLoop = Task.Run(WriteLoopAsync);
    }

    /// <summary>As <c>IEventLog.AppendAsync</c> was: encoded and sealed on the caller's thread, then group-committed.</summary>
    public async Task AppendAsync(IReadOnlyList<SessionEvent> events)
    {
        var rows = new List<EventRow>(events.Count);
        var heads = new Dictionary<(string Tenant, string Session), long>();
        foreach (var sessionEvent in events)
        {
            var key = (sessionEvent.Tenant, sessionEvent.SessionId);
            heads[key] = Math.Max(heads.GetValueOrDefault(key), sessionEvent.EventId);
            rows.Add(new EventRow(
                sessionEvent.Tenant,
                sessionEvent.SessionId,
                sessionEvent.EventId,
                sessionEvent.ReceivedAt.UtcTicks,
                SessionEventCodec.KindOf(sessionEvent),
                _payloads.Protect(sessionEvent.Tenant, sessionEvent.SessionId, Encode(sessionEvent))));
        }

        await EnqueueAsync(new WriteRequest(new EventBatch(rows, heads)));
    }

    /// <summary>As <c>IOutbox.AddAsync</c> was: one transaction per entry.</summary>
    public async Task AddAsync(OutboxEntry entry)
    {
        var xml = _payloads.Protect(entry.Tenant, entry.SessionId, StanzaSerializer.ToXml(entry.Stanza));
        await WriteAsync(
            """
            INSERT INTO outbox (tenant, session_id, stanza_id, accepted_at, wait_for_ack, stanza)
            VALUES ($tenant, $session, $stanza, $acceptedAt, $waitForAck, $xml)
            ON CONFLICT (tenant, session_id, stanza_id) DO NOTHING
            """,
            ("$tenant", entry.Tenant),
            ("$session", entry.SessionId),
            ("$stanza", entry.StanzaId),
            ("$acceptedAt", entry.AcceptedAt.UtcTicks),
            ("$waitForAck", entry.WaitForAck ? 1 : 0),
            ("$xml", xml));
    }

    /// <summary>As <c>IOutbox.RemoveAsync</c> was: one transaction per entry.</summary>
    public async Task RemoveAsync(string tenant, string sessionId, string stanzaId) =>
        await WriteAsync(
            "DELETE FROM outbox WHERE tenant = $tenant AND session_id = $session AND stanza_id = $stanza",
            ("$tenant", tenant),
            ("$session", sessionId),
            ("$stanza", stanzaId));

    public async ValueTask DisposeAsync()
    {
        _writes.Writer.TryComplete();
        await _writeLoop;
        _insertEvent.Dispose();
        _upsertHead.Dispose();
        await _writer.DisposeAsync();
        using var poolKey = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(poolKey);
    }

    /// <summary>The codec as it was: stanzas through a new serialiser each, statuses as JSON.</summary>
    private static string Encode(SessionEvent sessionEvent) => sessionEvent switch
    {
        MessageReceived e => StanzaSerializer.ToXml(e.Message),
        MessageStatusChanged e => LegacyStatusJson.Serialize(e.Status),
        _ => throw new NotSupportedException("The benchmark journals messages and statuses only."),
    };

    private Task<long> WriteAsync(string sql, params (string Name, object Value)[] parameters) =>
        EnqueueAsync(new WriteRequest(transaction =>
        {
            using var command = _writer.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = sql;
            foreach (var (name, value) in parameters)
            {
                command.Parameters.AddWithValue(name, value);
            }

            return command.ExecuteNonQuery();
        }));

    private async Task<long> EnqueueAsync(WriteRequest request)
    {
        if (!_writes.Writer.TryWrite(request))
        {
            throw new ObjectDisposedException(nameof(LegacyGatewayStore));
        }

        return await request.Completion.Task;
    }

    private async Task WriteLoopAsync()
    {
        var reader = _writes.Reader;
        var group = new List<WriteRequest>();
        WriteRequest? next = null;
        while (next is not null || await reader.WaitToReadAsync())
        {
            if (next is null && !reader.TryRead(out next))
            {
                continue;
            }

            var request = next;
            next = null;
            if (request.Batch is null)
            {
                try
                {
                    using var transaction = _writer.BeginTransaction();
                    var result = request.Work!(transaction);
                    transaction.Commit();
                    request.Completion.TrySetResult(result);
                }
#pragma warning disable CA1031 // As the original: the failure goes to its caller.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    request.Completion.TrySetException(ex);
                }

                continue;
            }

            group.Add(request);
            var rows = request.Batch.Rows.Count;
            while (rows < MaxGroupRows && reader.TryRead(out var more))
            {
                if (more.Batch is null)
                {
                    next = more;
                    break;
                }

                group.Add(more);
                rows += more.Batch.Rows.Count;
            }

            WriteBatches(group);
            foreach (var done in group)
            {
                done.Completion.TrySetResult(done.Batch!.Rows.Count);
            }

            group.Clear();
        }
    }

    private void WriteBatches(List<WriteRequest> group)
    {
        using var transaction = _writer.BeginTransaction();
        _insertEvent.Transaction = transaction;
        _upsertHead.Transaction = transaction;
        var parameters = _insertEvent.Parameters;
        foreach (var request in group)
        {
            var batch = request.Batch!;
            foreach (var row in batch.Rows)
            {
                parameters[0].Value = row.Tenant;
                parameters[1].Value = row.SessionId;
                parameters[2].Value = row.EventId;
                parameters[3].Value = row.ReceivedAtTicks;
                parameters[4].Value = row.Kind;
                parameters[5].Value = row.Data;
                _insertEvent.ExecuteNonQuery();
            }

            foreach (var ((tenant, sessionId), last) in batch.Heads)
            {
                _upsertHead.Parameters[0].Value = tenant;
                _upsertHead.Parameters[1].Value = sessionId;
                _upsertHead.Parameters[2].Value = last;
                _upsertHead.ExecuteNonQuery();
            }
        }

        transaction.Commit();
    }

    private sealed record EventRow(string Tenant, string SessionId, long EventId, long ReceivedAtTicks, string Kind, string Data);

    private sealed record EventBatch(List<EventRow> Rows, Dictionary<(string Tenant, string Session), long> Heads);

    private sealed class WriteRequest
    {
        public WriteRequest(EventBatch batch) => Batch = batch;

        public WriteRequest(Func<SqliteTransaction, long> work) => Work = work;

        public EventBatch? Batch { get; }

        public Func<SqliteTransaction, long>? Work { get; }

        public TaskCompletionSource<long> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>Message statuses as the codec wrote them before the positional format (commit <c>a58875e</c>).</summary>
internal static class LegacyStatusJson
{
    public static string Serialize(MessageStatus status) => JsonSerializer.Serialize(
        new StatusData(status.MessageId, status.To?.ToString(), status.Status.ToString(), status.QueuedAt.ToUnixTimeMilliseconds(), status.UpdatedAt.ToUnixTimeMilliseconds(), status.ErrorCondition, status.ErrorText),
        LegacyJson.Default.StatusData);

    internal sealed record StatusData(string MessageId, string? To, string Status, long QueuedAtUnixMs, long UpdatedAtUnixMs, string? ErrorCondition, string? ErrorText);
}

[JsonSerializable(typeof(LegacyStatusJson.StatusData))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class LegacyJson : JsonSerializerContext;
