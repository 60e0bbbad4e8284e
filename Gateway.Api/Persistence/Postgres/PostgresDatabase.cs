using Npgsql;

namespace Gateway.Api.Persistence.Postgres;

/// <summary>
/// The PostgreSQL database the gateway's stores share (<see cref="GatewayStorageOptions.ConnectionString"/>): one
/// pooled <see cref="NpgsqlDataSource"/>, and the schema brought up to date once, by whichever store or the Data
/// Protection key ring (<see cref="PostgresXmlRepository"/>) touches it first. Several gateway nodes may share the
/// database: migrations and store-key creation run under advisory locks, and every write is a transaction of its own.
/// </summary>
internal sealed class PostgresDatabase : IAsyncDisposable, IDisposable
{
    /// <summary>Attempts of a transaction the server aborted as a deadlock victim or a serialization failure.</summary>
    private const int MaxAttempts = 5;

    private readonly ILogger<PostgresDatabase> _logger;
    private readonly Lock _schemaGate = new();
    private bool _schemaReady;

    /// <param name="connectionString">An Npgsql connection string (holds the password: never logged).</param>
    /// <param name="logger">Logs migrations and retries.</param>
    public PostgresDatabase(string connectionString, ILogger<PostgresDatabase> logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentNullException.ThrowIfNull(logger);
        _logger = logger;
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        Name = $"{builder.Host}:{builder.Port}/{builder.Database ?? builder.Username}";
        DataSource = NpgsqlDataSource.Create(builder);
    }

    /// <summary>Host, port and database, for messages: never the connection string.</summary>
    public string Name { get; }

    public NpgsqlDataSource DataSource { get; }

    /// <summary>
    /// Creates or migrates the schema the first time it is called (blocking: it runs before the stores start, and
    /// from Data Protection's synchronous key ring); later calls return at once.
    /// </summary>
    public void EnsureSchema()
    {
        if (Volatile.Read(ref _schemaReady))
        {
            return;
        }

        lock (_schemaGate)
        {
            if (_schemaReady)
            {
                return;
            }

            using var connection = DataSource.OpenConnection();
            var fromVersion = PostgresSchema.Migrate(connection, Name);
            if (fromVersion != PostgresSchema.CurrentVersion)
            {
                PostgresLog.SchemaMigrated(_logger, Name, fromVersion, PostgresSchema.CurrentVersion);
            }

            Volatile.Write(ref _schemaReady, true);
        }
    }

    /// <summary>
    /// Runs <paramref name="transaction"/> (which opens its own connection and transaction) again when the server
    /// aborted it as a deadlock victim (40P01) or for a serialization failure (40001): it rolled back whole, and every
    /// write of the stores is idempotent or re-reads what it depends on.
    /// </summary>
    public async Task<T> RetryAsync<T>(string operation, Func<CancellationToken, Task<T>> transaction, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await transaction(cancellationToken);
            }
            catch (PostgresException ex) when (attempt < MaxAttempts && ex.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure)
            {
                PostgresLog.TransactionRetried(_logger, operation, ex.SqlState, attempt);
            }
        }
    }

    /// <summary>An open pooled connection.</summary>
    public ValueTask<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken) => DataSource.OpenConnectionAsync(cancellationToken);

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();

    public void Dispose() => DataSource.Dispose();
}
