using System.Data;
using System.Data.Common;
using Gateway.Xmpp.Pool.Persistence;
using Npgsql;

namespace Gateway.Api.Persistence.Postgres;

/// <summary>
/// The read side and the retention of the event journal on PostgreSQL (<see cref="IEventLog"/>,
/// <see cref="SqlEventLog{TConnection}"/>), with the SQLite store's semantics. Every node may trim at once: the age
/// chunks skip rows another node is deleting (<c>SKIP LOCKED</c>), so trims neither wait for nor deadlock with each
/// other.
/// </summary>
internal sealed class PostgresEventLog(PostgresDatabase database, PayloadProtector payloads, ILogger logger)
    : SqlEventLog<NpgsqlConnection>(payloads, logger)
{
    protected override string Greatest => "GREATEST";

    protected override string TrimByAgeSql => """
        DELETE FROM events WHERE ctid = ANY (ARRAY(
            SELECT ctid FROM events WHERE received_at < @cutoff LIMIT @chunk FOR UPDATE SKIP LOCKED))
        """;

    protected override async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken) => await database.OpenAsync(cancellationToken);

    /// <summary>Repeatable read: one snapshot while writers (of this node or another) commit.</summary>
    protected override async ValueTask<DbTransaction> BeginSnapshotAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);

    /// <summary>One statement in its own transaction, run again if the server picks it as a deadlock victim; returns the rows changed.</summary>
    protected override async Task<long> ExecuteAsync(string operation, string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters) =>
        await database.RetryAsync(
            operation,
            async token =>
            {
                await using var connection = await database.OpenAsync(token);
                await using var command = new NpgsqlCommand(sql, connection);
                foreach (var (name, value) in parameters)
                {
                    command.Parameters.AddWithValue(name, value);
                }

                return await command.ExecuteNonQueryAsync(token);
            },
            cancellationToken);
}
