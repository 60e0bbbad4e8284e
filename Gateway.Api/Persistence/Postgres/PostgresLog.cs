namespace Gateway.Api.Persistence.Postgres;

/// <summary>
/// Log events of the PostgreSQL store: 70xx. Event ids and names are a contract. The database is named by host, port
/// and database name, never by its connection string (it holds the password). What a row holds is never logged; the
/// events the stores have alike (an unreadable row, a store key) are <see cref="PersistenceLog"/>'s 55xx.
/// </summary>
internal static partial class PostgresLog
{
    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "Gateway store opened on PostgreSQL {Database} (schema version {SchemaVersion})")]
    public static partial void StoreOpened(ILogger logger, string database, int schemaVersion);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Information, Message = "PostgreSQL store schema of {Database} migrated from version {FromVersion} to {ToVersion}")]
    public static partial void SchemaMigrated(ILogger logger, string database, int fromVersion, int toVersion);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Warning, Message = "A PostgreSQL transaction ({Operation}) was aborted by the server ({SqlState}) and is retried, attempt {Attempt}")]
    public static partial void TransactionRetried(ILogger logger, string operation, string sqlState, int attempt);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Debug, Message = "Journal group committed: {Commits} commits, {Rows} rows in {ElapsedMilliseconds:0.0} ms")]
    public static partial void GroupCommitted(ILogger logger, int commits, int rows, double elapsedMilliseconds);

    [LoggerMessage(EventId = 7005, Level = LogLevel.Warning, Message = "A journal group commit of {Commits} commits failed ({ExceptionType}); each caller is told and retries")]
    public static partial void GroupCommitFailed(ILogger logger, int commits, string exceptionType, Exception exception);

    [LoggerMessage(EventId = 7010, Level = LogLevel.Warning, Message = "A Data Protection key element {FriendlyName} stored in PostgreSQL is not XML and is skipped")]
    public static partial void KeyElementUnreadable(ILogger logger, string friendlyName);
}
