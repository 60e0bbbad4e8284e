using System.Buffers;
using System.Data.Common;
using System.Globalization;
using Gateway.Xmpp.Pool.Persistence;

namespace Gateway.Api.Persistence;

/// <summary>
/// Reads a session's outbox rows the same way for every store, from a query selecting <c>stanza_id, accepted_at,
/// wait_for_ack, stanza, archive_cursor</c> (<see cref="Columns"/>) in acceptance order: the stanza unsealed by
/// <see cref="PayloadProtector"/> and parsed; a row that no longer parses is logged (5513) and skipped.
/// </summary>
internal static class OutboxRowReader
{
    /// <summary>The columns a query selects for <see cref="ReadAsync"/>.</summary>
    public const string Columns = "stanza_id, accepted_at, wait_for_ack, stanza, archive_cursor";

    public static async Task<IReadOnlyList<OutboxEntry>> ReadAsync(
        DbCommand command, string tenant, string sessionId, PayloadProtector payloads, ILogger logger, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var entries = new List<OutboxEntry>();
        var clear = new ArrayBufferWriter<byte>(1_024);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                var stanza = SessionEventCodec.DecodeStanza(payloads.Unprotect(tenant, sessionId, reader.GetString(3), clear));

                // A boolean in PostgreSQL, an integer in SQLite.
                var waitForAck = Convert.ToBoolean(reader.GetValue(2), CultureInfo.InvariantCulture);
                entries.Add(new OutboxEntry(tenant, sessionId, stanza, waitForAck, new DateTimeOffset(reader.GetInt64(1), TimeSpan.Zero))
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
