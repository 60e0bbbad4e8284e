using Gateway.Xmpp.Pool.Persistence;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;

namespace Gateway.Api.Persistence.Sqlite;

/// <summary>
/// The gateway's embedded store (<see cref="IPoolStore"/>): session definitions, the per-session event journal with
/// its heads and archive cursors, the outbox and the rooms, in one SQLite file (<see cref="SqliteDatabase"/>). One
/// object for the pool; each job is a part of its own, as in the PostgreSQL store: sessions, rooms, the journal's
/// reads and retention, the journal writer, the outbox's reads. Every write goes through the database's one writer
/// connection, one transaction at a time; reads use pooled connections of their own and, thanks to WAL, never wait
/// for the writer.
/// </summary>
/// <remarks>
/// Nothing of a session's secrets or traffic is in clear text: specs are encrypted whole with Data Protection
/// (<see cref="SessionSpecProtector"/>), event payloads and outbox stanzas (<see cref="SessionEventCodec"/> output:
/// JIDs, message bodies) with AES-GCM under per-session keys derived from a store key that Data Protection wraps
/// (<see cref="PayloadProtector"/>). What stays readable is what the store queries by: tenant, session, stanza and
/// archive ids, event kinds and times. The file is owner-only besides. One process per file.
/// </remarks>
internal sealed class SqliteGatewayStore : PartitionedPoolStore, IAsyncDisposable, IDisposable
{
    private readonly SqliteDatabase _database;
    private readonly PayloadProtector _payloads;
    private readonly JournalRowEncoder _encoder;
    private readonly SqliteSessionStore _sessions;
    private readonly SqliteRoomStore _rooms;
    private readonly SqliteEventLog _events;
    private readonly SqliteOutbox _outbox;
    private readonly SqliteJournalWriter _writer;
    private int _disposed;

    protected override ISessionStore Sessions => _sessions;

    protected override IEventLog Events => _events;

    protected override IOutbox Outbox => _outbox;

    protected override IRoomStore Rooms => _rooms;

    /// <summary>Opens (creating it when absent) the database at <see cref="GatewayStorageOptions.Path"/> and brings its schema up to date.</summary>
    /// <exception cref="InvalidOperationException">The file cannot be used: newer schema, or no WAL on its file system.</exception>
    /// <exception cref="SqliteException">The file cannot be opened or is not a SQLite database.</exception>
    public SqliteGatewayStore(GatewayStorageOptions options, IDataProtectionProvider dataProtection, ILogger<SqliteGatewayStore> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(dataProtection);
        ArgumentNullException.ThrowIfNull(logger);
        _database = new SqliteDatabase(options.Path, logger);
        try
        {
            _payloads = new PayloadProtector(SqliteStoreKeys.Load(_database, dataProtection, logger), new LegacyPayloadProtector(dataProtection));
            _encoder = new JournalRowEncoder(_payloads, logger);
            _writer = new SqliteJournalWriter(_database);
        }
        catch
        {
            _database.Abandon();
            throw;
        }

        _sessions = new SqliteSessionStore(_database, new SessionSpecProtector(dataProtection), logger);
        _rooms = new SqliteRoomStore(_database, new RoomProtector(dataProtection), logger);
        _events = new SqliteEventLog(_database, _payloads, logger);
        _outbox = new SqliteOutbox(_database, _payloads, logger);
        PersistenceLog.StoreOpened(logger, DatabasePath, SqliteSchema.CurrentVersion);
    }

    /// <summary>The absolute path of the database file.</summary>
    public string DatabasePath => _database.Path;

    /// <summary>
    /// Encodes and seals the batch on the caller's thread (in parallel across callers: the writer only runs SQL), then
    /// commits it in one transaction (<see cref="SqliteJournalWriter"/>) and completes after the commit. Idempotent
    /// (<see cref="IPoolStore.CommitAsync"/>). An event the codec cannot encode is logged (5512) and skipped, but its id
    /// still counts for the journal head; a stanza that cannot be encoded fails the call. Cancellation applies until the
    /// writer picks the batch up.
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
        await _database.WriteAsync(
            """
            DELETE FROM events WHERE tenant = $tenant AND session_id = $session;
            DELETE FROM session_event_heads WHERE tenant = $tenant AND session_id = $session;
            DELETE FROM outbox WHERE tenant = $tenant AND session_id = $session;
            DELETE FROM rooms WHERE tenant = $tenant AND session_id = $session;
            """,
            cancellationToken,
            ("$tenant", tenant),
            ("$session", sessionId));
    }

    /// <summary>Lets a write under way finish, then closes the file (the WAL is checkpointed and the files released).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _database.StopWritesAsync();
        _writer.Dispose();
        _payloads.Dispose();
        await _database.DisposeAsync();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
