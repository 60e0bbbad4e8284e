using Microsoft.Data.Sqlite;

namespace Gateway.Api.Persistence.Sqlite;

/// <summary>
/// The gateway's SQLite file as its store's parts share it: one writer connection behind a gate, on which every write
/// runs in a transaction of its own, one at a time (SQLite admits one writer anyway), and pooled connections for the
/// reads, which WAL lets run beside the writer without waiting for it. Opened, owner-only, in WAL mode and migrated by
/// the constructor.
/// </summary>
internal sealed class SqliteDatabase : IAsyncDisposable
{
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly string _connectionString;

    /// <summary>One writer at a time on the writer connection (SQLite admits one anyway); held only while SQL runs.</summary>
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private int _disposed;

    /// <summary>Opens (creating it when absent) the database at <paramref name="path"/> and brings its schema up to date.</summary>
    /// <exception cref="InvalidOperationException">The file cannot be used: newer schema, or no WAL on its file system.</exception>
    /// <exception cref="SqliteException">The file cannot be opened or is not a SQLite database.</exception>
    public SqliteDatabase(string path, ILogger logger)
    {
        Path = System.IO.Path.GetFullPath(path);
        CreateOwnerOnlyFile(Path);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,

            // Microsoft.Data.Sqlite retries SQLITE_BUSY for up to this many seconds (readers during a checkpoint).
            DefaultTimeout = 30,
        }.ToString();

        Writer = new SqliteConnection(_connectionString);
        try
        {
            Writer.Open();
            ConfigureWriter();
            var fromVersion = SqliteSchema.Migrate(Writer, Path);
            if (fromVersion != SqliteSchema.CurrentVersion)
            {
                PersistenceLog.SchemaMigrated(logger, fromVersion, SqliteSchema.CurrentVersion);
            }
        }
        catch
        {
            Abandon();
            throw;
        }
    }

    /// <summary>The absolute path of the database file.</summary>
    public string Path { get; }

    /// <summary>
    /// The writer connection: for the start-up work before the store takes writes (store keys, prepared statements),
    /// and afterwards only inside <see cref="WriteAsync(Func{SqliteTransaction, long}, CancellationToken)"/>.
    /// </summary>
    public SqliteConnection Writer { get; }

    /// <summary>Creates a directory readable by its owner only (when it does not exist yet); returns its full path.</summary>
    public static string CreateOwnerOnlyDirectory(string path)
    {
        var fullPath = System.IO.Path.GetFullPath(path);
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

    /// <summary>An open pooled connection for reading.</summary>
    public Task<SqliteConnection> OpenReaderAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return SqliteConnections.OpenAsync(_connectionString, cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="work"/> in a transaction of its own on the writer connection, once it is free, and commits.
    /// Cancellation applies while waiting for it; once started, a write runs to its commit (or rollback).
    /// </summary>
    public async Task<long> WriteAsync(Func<SqliteTransaction, long> work, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

            // BEGIN IMMEDIATE; disposing without Commit rolls back.
            using var transaction = Writer.BeginTransaction();
            var result = work(transaction);
            transaction.Commit();
            return result;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>One statement (or a few, separated by ';') with named parameters, in its own transaction; returns the rows changed.</summary>
    public Task<long> WriteAsync(string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters) =>
        WriteAsync(
            transaction =>
            {
                using var command = WriterCommand(transaction, sql);
                foreach (var (name, value) in parameters)
                {
                    command.Parameters.AddWithValue(name, value);
                }

                return command.ExecuteNonQuery();
            },
            cancellationToken);

    /// <summary>
    /// Takes no more writes (a write under way finishes first); what was prepared on the writer connection is its
    /// owner's to dispose before <see cref="DisposeAsync"/>.
    /// </summary>
    public async Task StopWritesAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Later writes find the database disposed (the gate is let go for them to see it).
        await _writeGate.WaitAsync();
        _writeGate.Release();
    }

    /// <summary>Closes the writer and the pooled connections, so the WAL is checkpointed and the files released.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopWritesAsync();
        await Writer.DisposeAsync();

        // Closes the pooled connections (the writer's included).
        using var poolKey = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(poolKey);
    }

    /// <summary>Lets go of the file after a failed start.</summary>
    public void Abandon()
    {
        SqliteConnection.ClearPool(Writer);
        Writer.Dispose();
    }

    private static void CreateOwnerOnlyFile(string path)
    {
        CreateOwnerOnlyDirectory(System.IO.Path.GetDirectoryName(path)!);
        if (!OperatingSystem.IsWindows())
        {
            // SQLite gives the -wal and -shm files the mode of the database: create it owner-only before SQLite
            // does (an empty file is an empty database). An existing file keeps its mode.
            using var file = new FileStream(path, new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, UnixCreateMode = OwnerOnlyFile });
        }
    }

    private void ConfigureWriter()
    {
        using var command = Writer.CreateCommand();
        command.CommandText = "PRAGMA journal_mode = WAL";
        var journalMode = command.ExecuteScalar() as string;
        if (!string.Equals(journalMode, "wal", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(
                $"The gateway store {Path} cannot use write-ahead logging (journal mode is '{journalMode}'); " +
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

    /// <summary>A command on the writer connection, in <paramref name="transaction"/>.</summary>
    private SqliteCommand WriterCommand(SqliteTransaction transaction, string sql)
    {
        var command = Writer.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }
}
