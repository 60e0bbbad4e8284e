using System.Security.Cryptography;
using System.Threading.Channels;
using Gateway.Xmpp.Pool.Persistence;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;

namespace Gateway.Api.Persistence;

/// <summary>
/// The gateway's embedded store (<see cref="IPoolStore"/>): session definitions, the per-session event journal with
/// its heads and archive cursors, and the outbox, in one SQLite file. Every write goes through one writer connection
/// and one loop (<c>.Writer.cs</c>), which commits the journal batches queued together in one transaction (group
/// commit); reads use pooled connections of their own and, thanks to WAL, never wait for the writer.
/// </summary>
/// <remarks>
/// Nothing of a session's secrets or traffic is in clear text: specs are encrypted whole with Data Protection
/// (<see cref="SessionSpecProtector"/>), event payloads and outbox stanzas (<see cref="SessionEventCodec"/> output:
/// JIDs, message bodies) with AES-GCM under per-session keys derived from a store key that Data Protection wraps
/// (<see cref="PayloadProtector"/>). What stays readable is what the store queries by: tenant, session, stanza and
/// archive ids, event kinds and times. The file is owner-only besides. One process per file.
/// </remarks>
internal sealed partial class SqliteGatewayStore : IPoolStore, IAsyncDisposable, IDisposable
{
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly string _connectionString;
    private readonly SessionSpecProtector _specs;
    private readonly RoomProtector _rooms;
    private readonly PayloadProtector _payloads;
    private readonly JournalRowEncoder _encoder;
    private readonly ILogger<SqliteGatewayStore> _logger;
    private readonly SqliteConnection _writer;

    /// <summary>One writer at a time on the writer connection (SQLite admits one anyway); held only while SQL runs.</summary>
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private int _disposed;

    /// <summary>Opens (creating it when absent) the database at <see cref="GatewayStorageOptions.Path"/> and brings its schema up to date.</summary>
    /// <exception cref="InvalidOperationException">The file cannot be used: newer schema, or no WAL on its file system.</exception>
    /// <exception cref="SqliteException">The file cannot be opened or is not a SQLite database.</exception>
    public SqliteGatewayStore(GatewayStorageOptions options, IDataProtectionProvider dataProtection, ILogger<SqliteGatewayStore> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(dataProtection);
        ArgumentNullException.ThrowIfNull(logger);
        DatabasePath = Path.GetFullPath(options.Path);
        _specs = new SessionSpecProtector(dataProtection);
        _rooms = new RoomProtector(dataProtection);
        _logger = logger;
        CreateOwnerOnlyFile(DatabasePath);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,

            // Microsoft.Data.Sqlite retries SQLITE_BUSY for up to this many seconds (readers during a checkpoint).
            DefaultTimeout = 30,
        }.ToString();

        _writer = new SqliteConnection(_connectionString);
        try
        {
            _writer.Open();
            ConfigureWriter();
            var fromVersion = SqliteSchema.Migrate(_writer, DatabasePath);
            if (fromVersion != SqliteSchema.CurrentVersion)
            {
                PersistenceLog.SchemaMigrated(_logger, fromVersion, SqliteSchema.CurrentVersion);
            }

            _payloads = new PayloadProtector(LoadStoreKeys(dataProtection), new LegacyPayloadProtector(dataProtection));
            _encoder = new JournalRowEncoder(_payloads, _logger);
            _commands = PrepareCommitCommands();
        }
        catch
        {
            SqliteConnection.ClearPool(_writer);
            _writer.Dispose();
            throw;
        }

        PersistenceLog.StoreOpened(_logger, DatabasePath, SqliteSchema.CurrentVersion);
    }

    /// <summary>The absolute path of the database file.</summary>
    public string DatabasePath { get; }

    public async Task SaveAsync(StoredSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        var specProtected = _specs.Protect(session.Tenant, session.Id, session.Spec);
        var createdAt = session.CreatedAt.UtcTicks;
        await WriteAsync(
            """
            INSERT INTO sessions (tenant, id, created_at, spec_protected) VALUES ($tenant, $id, $createdAt, $spec)
            ON CONFLICT (tenant, id) DO UPDATE SET created_at = excluded.created_at, spec_protected = excluded.spec_protected
            """,
            cancellationToken,
            ("$tenant", session.Tenant),
            ("$id", session.Id),
            ("$createdAt", createdAt),
            ("$spec", specProtected));
    }

    public async Task DeleteAsync(string tenant, string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(sessionId);
        await WriteAsync("DELETE FROM sessions WHERE tenant = $tenant AND id = $id", cancellationToken, ("$tenant", tenant), ("$id", sessionId));
    }

    /// <summary>Every stored session whose spec decrypts; the others are logged (5510) and left in place.</summary>
    public async Task<IReadOnlyList<StoredSession>> LoadAllAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReaderAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {StoredSessionReader.Columns} FROM sessions ORDER BY tenant, id";
        return await StoredSessionReader.ReadAsync(command, _specs, _logger, cancellationToken);
    }

    /// <summary>One stored session by its key (null also when its spec does not decrypt: logged, as by <see cref="LoadAllAsync"/>).</summary>
    public async Task<StoredSession?> FindAsync(string tenant, string sessionId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReaderAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {StoredSessionReader.Columns} FROM sessions WHERE tenant = $tenant AND id = $id";
        command.Parameters.AddWithValue("$tenant", tenant);
        command.Parameters.AddWithValue("$id", sessionId);
        return (await StoredSessionReader.ReadAsync(command, _specs, _logger, cancellationToken)).SingleOrDefault();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // A write under way finishes first; later ones find the store disposed (the gate is let go for them to see it).
        await _writeGate.WaitAsync();
        _writeGate.Release();
        _commands.Dispose();
        _payloads.Dispose();

        await _writer.DisposeAsync();

        // Closes the pooled connections (the writer's included), so the WAL is checkpointed and the files released.
        using var poolKey = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(poolKey);
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Creates a directory readable by its owner only (when it does not exist yet); returns its full path.</summary>
    internal static string CreateOwnerOnlyDirectory(string path)
    {
        var fullPath = Path.GetFullPath(path);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(fullPath);
        }
        else
        {
            Directory.CreateDirectory(fullPath, OwnerOnlyDirectory);
        }

        return fullPath;
    }

    private static void CreateOwnerOnlyFile(string path)
    {
        CreateOwnerOnlyDirectory(Path.GetDirectoryName(path)!);
        if (!OperatingSystem.IsWindows())
        {
            // SQLite gives the -wal and -shm files the mode of the database: create it owner-only before SQLite
            // does (an empty file is an empty database). An existing file keeps its mode.
            using var file = new FileStream(path, new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, UnixCreateMode = OwnerOnlyFile });
        }
    }

    private void ConfigureWriter()
    {
        using var command = _writer.CreateCommand();
        command.CommandText = "PRAGMA journal_mode = WAL";
        var journalMode = command.ExecuteScalar() as string;
        if (!string.Equals(journalMode, "wal", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(
                $"The gateway store {DatabasePath} cannot use write-ahead logging (journal mode is '{journalMode}'); " +
                $"put {GatewayStorageOptions.Section}:Path on a local file system.");
        }

        // With WAL, synchronous=NORMAL fsyncs only at checkpoints: a committed transaction survives a crash of the
        // process (it is in the WAL file, which the OS holds), though not necessarily a power loss or OS crash, which
        // may roll back the last commits but never corrupts the file. FULL would fsync every commit, for a few
        // hundred commits a second at best.
        // busy_timeout: wait rather than fail if another connection (a checkpointing reader) holds a lock.
        command.CommandText = "PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;";
        command.ExecuteNonQuery();
    }

    private Task<SqliteConnection> OpenReaderAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return SqliteConnections.OpenAsync(_connectionString, cancellationToken);
    }

    private SqliteCommand WriterCommand(SqliteTransaction transaction, string sql)
    {
        var command = _writer.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }
}
