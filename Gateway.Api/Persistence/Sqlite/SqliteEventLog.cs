using System.Data.Common;
using Gateway.Xmpp.Pool.Persistence;
using Microsoft.Data.Sqlite;

namespace Gateway.Api.Persistence.Sqlite;

/// <summary>
/// The read side and the retention of the event journal in the SQLite file (<see cref="IEventLog"/>,
/// <see cref="SqlEventLog{TConnection}"/>): reads on pooled connections, deletes through the database's one writer.
/// </summary>
internal sealed class SqliteEventLog(SqliteDatabase database, PayloadProtector payloads, ILogger logger)
    : SqlEventLog<SqliteConnection>(payloads, logger)
{
    protected override string Greatest => "max";

    /// <summary>
    /// Of the oldest <c>@chunk</c> rows by rowid, which is commit order (schema version 8 dropped the index by
    /// <c>received_at</c>), the ones received before the cutoff. It reads from the start of the table and never past
    /// the chunk, however many events are kept. An event stamped earlier than one committed before it (the clock
    /// stepped back) goes with or after that one, not before.
    /// </summary>
    protected override string TrimByAgeSql =>
        """
        DELETE FROM events WHERE rowid IN (
            SELECT rowid FROM (SELECT rowid, received_at FROM events ORDER BY rowid LIMIT @chunk) WHERE received_at < @cutoff)
        """;

    protected override Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken) => database.OpenReaderAsync(cancellationToken);

    /// <summary>A deferred BEGIN: it takes no write lock, and its first read fixes the snapshot.</summary>
    protected override ValueTask<DbTransaction> BeginSnapshotAsync(SqliteConnection connection, CancellationToken cancellationToken) =>
        ValueTask.FromResult<DbTransaction>(connection.BeginTransaction(deferred: true));

    protected override Task<long> ExecuteAsync(string operation, string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters) =>
        database.WriteAsync(sql, cancellationToken, parameters);
}
