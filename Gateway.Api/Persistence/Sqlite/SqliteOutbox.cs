using System.Buffers;
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
        command.CommandText = """
            SELECT stanza_id, accepted_at, wait_for_ack, stanza, archive_cursor FROM outbox
            WHERE tenant = $tenant AND session_id = $session ORDER BY seq
            """;
        command.Parameters.AddWithValue("$tenant", tenant);
        command.Parameters.AddWithValue("$session", sessionId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var entries = new List<OutboxEntry>();
        var clear = new ArrayBufferWriter<byte>(1_024);
        while (await reader.ReadAsync(cancellationToken))
        {
            try
            {
                var stanza = SessionEventCodec.DecodeStanza(payloads.Unprotect(tenant, sessionId, reader.GetString(3), clear));
                entries.Add(new OutboxEntry(tenant, sessionId, stanza, reader.GetInt64(2) != 0, new DateTimeOffset(reader.GetInt64(1), TimeSpan.Zero))
                {
                    ArchiveCursor = reader.IsDBNull(4) ? null : reader.GetString(4),
                });
            }
            catch (FormatException ex)
            {
                PersistenceLog.OutboxEntryUnreadable(logger, tenant, sessionId, reader.GetString(0), ex);
            }
        }

        return entries;
    }
}
