using Gateway.Xmpp.Pool.Persistence;
using Microsoft.AspNetCore.DataProtection;

namespace Gateway.Api.Persistence.Postgres;

/// <summary>
/// The gateway's store on PostgreSQL (<see cref="IPoolStore"/>), for several gateway nodes sharing one database: what
/// the SQLite store keeps (session definitions, the event journal with heads and archive cursors, the outbox, rooms),
/// sealed the same way by the same protectors, in the same shape of tables (<see cref="PostgresSchema"/>). One object
/// for the pool; each job is a part of its own: sessions, rooms, the journal's reads and retention, the group-commit
/// writer, the outbox's reads.
/// </summary>
/// <remarks>
/// The Data Protection key ring that wraps the store keys and seals specs and rooms lives in the same database
/// (<see cref="PostgresXmlRepository"/>) when this store is selected, so what one node sealed every other node reads.
/// </remarks>
internal sealed class PostgresGatewayStore : PartitionedPoolStore, IAsyncDisposable, IDisposable
{
    private readonly PostgresDatabase _database;
    private readonly PayloadProtector _payloads;
    private readonly JournalRowEncoder _encoder;
    private readonly PostgresSessionStore _sessions;
    private readonly PostgresRoomStore _rooms;
    private readonly PostgresEventLog _events;
    private readonly PostgresOutbox _outbox;
    private readonly PostgresJournalWriter _writer;
    private int _disposed;

    protected override ISessionStore Sessions => _sessions;

    protected override IEventLog Events => _events;

    protected override IOutbox Outbox => _outbox;

    protected override IRoomStore Rooms => _rooms;

    /// <summary>Brings the database's schema up to date and loads (or creates) the store keys; blocking, at start-up.</summary>
    /// <exception cref="InvalidOperationException">The database has a newer schema.</exception>
    /// <exception cref="Npgsql.NpgsqlException">The database cannot be reached.</exception>
    public PostgresGatewayStore(PostgresDatabase database, IDataProtectionProvider dataProtection, ILogger<PostgresGatewayStore> logger)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(dataProtection);
        ArgumentNullException.ThrowIfNull(logger);
        _database = database;
        database.EnsureSchema();
        _payloads = new PayloadProtector(PostgresStoreKeys.Load(database, dataProtection, logger), new LegacyPayloadProtector(dataProtection));
        _encoder = new JournalRowEncoder(_payloads, logger);
        _sessions = new PostgresSessionStore(database, new SessionSpecProtector(dataProtection), logger);
        _rooms = new PostgresRoomStore(database, new RoomProtector(dataProtection), logger);
        _events = new PostgresEventLog(database, _payloads, logger);
        _outbox = new PostgresOutbox(database, _payloads, logger);
        _writer = new PostgresJournalWriter(database, logger);
        PostgresLog.StoreOpened(logger, database.Name, PostgresSchema.CurrentVersion);
    }

    /// <summary>
    /// Encodes and seals the batch on the caller's thread, then commits it with whatever other commits are queued
    /// (<see cref="PostgresJournalWriter"/>). An event the codec cannot encode is logged (5512) and skipped, its id
    /// still counting for the head; a stanza that cannot be encoded fails the call.
    /// </summary>
    public override Task CommitAsync(JournalBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return batch.IsEmpty ? Task.CompletedTask : _writer.CommitAsync(_encoder.Encode(batch), cancellationToken);
    }

    /// <summary>The session's events, head, outbox entries and rooms, in one transaction.</summary>
    public override async Task DeleteSessionDataAsync(string tenant, string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(sessionId);
        await _database.RetryAsync(
            "delete session data",
            async token =>
            {
                await using var connection = await _database.OpenAsync(token);
                await using var transaction = await connection.BeginTransactionAsync(token);
                await using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = """
                    DELETE FROM events WHERE tenant = @tenant AND session_id = @session;
                    DELETE FROM session_event_heads WHERE tenant = @tenant AND session_id = @session;
                    DELETE FROM outbox WHERE tenant = @tenant AND session_id = @session;
                    DELETE FROM rooms WHERE tenant = @tenant AND session_id = @session;
                    """;
                command.Parameters.AddWithValue("tenant", tenant);
                command.Parameters.AddWithValue("session", sessionId);
                await command.ExecuteNonQueryAsync(token);
                await transaction.CommitAsync(token);
                return true;
            },
            cancellationToken);
    }

    /// <summary>Writes the commits still queued, then stops; the database (shared with the key ring) is the container's to dispose.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _writer.DisposeAsync();
        _payloads.Dispose();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
