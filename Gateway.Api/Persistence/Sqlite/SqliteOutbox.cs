using Gateway.Xmpp.Pool.Persistence;

namespace Gateway.Api.Persistence.Sqlite;

/// <summary>The read side of the outbox in the SQLite file (<see cref="IOutbox"/>); entries are written by <see cref="SqliteJournalWriter"/>.</summary>
internal sealed class SqliteOutbox(SqliteDatabase database, PayloadProtector payloads, ILogger logger) : IOutbox
{
    public bool IsDurable => true;

    /// <summary>The session's entries in acceptance order; a row that no longer parses is logged (5513) and skipped.</summary>
    public async Task<IReadOnlyList<OutboxEntry>> LoadAsync(string tenant, string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(sessionId);
        await using var connection = await database.OpenReaderAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {OutboxRowReader.Columns} FROM outbox
            WHERE tenant = $tenant AND session_id = $session ORDER BY seq
            """;
        command.Parameters.AddWithValue("$tenant", tenant);
        command.Parameters.AddWithValue("$session", sessionId);
        return await OutboxRowReader.ReadAsync(command, tenant, sessionId, payloads, logger, cancellationToken);
    }
}
