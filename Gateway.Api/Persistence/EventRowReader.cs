using System.Buffers;
using System.Data.Common;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Persistence;

namespace Gateway.Api.Persistence;

/// <summary>
/// Reads one page of a session's journaled events the same way for every store, from a query that selects
/// <c>event_id, received_at, kind, data, message_id</c> after <c>after</c>, ordered by id, at most <c>take</c> rows.
/// </summary>
internal static class EventRowReader
{
    /// <summary>
    /// Fills <paramref name="events"/> with up to <paramref name="limit"/> events after <paramref name="afterEventId"/> and about
    /// <paramref name="maxBytes"/> of stored payload (always at least one event when there is one). An undecodable row is
    /// logged and skipped, and the page topped up past it: a reader paging on must not mistake a page shortened by bad
    /// rows for the end.
    /// </summary>
    public static async Task ReadPageAsync(
        DbCommand command, DbParameter after, DbParameter take, string tenant, string sessionId, long afterEventId, int limit, long maxBytes,
        PayloadProtector payloads, ILogger logger, List<SessionEvent> events, CancellationToken cancellationToken)
    {
        var cursor = afterEventId;
        var clear = new ArrayBufferWriter<byte>(1_024);
        long bytes = 0;
        var full = false;
        while (events.Count < limit && !full)
        {
            var requested = limit - events.Count;
            after.Value = cursor;
            take.Value = requested;
            var rows = 0;
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var data = reader.GetString(3);
                    bytes += data.Length;
                    if (bytes > maxBytes && events.Count > 0)
                    {
                        full = true;
                        break;
                    }

                    rows++;
                    cursor = reader.GetInt64(0);
                    var kind = reader.GetString(2);
                    try
                    {
                        var payload = payloads.Unprotect(tenant, sessionId, data, clear);
                        var decoded = SessionEventCodec.Decode(tenant, sessionId, cursor, new DateTimeOffset(reader.GetInt64(1), TimeSpan.Zero), kind, payload);

                        // A received message's archive id is stored beside it (message_id), not in its payload.
                        events.Add(decoded is MessageReceived received && !reader.IsDBNull(4) ? received with { ArchiveId = reader.GetString(4) } : decoded);
                    }
                    catch (FormatException ex)
                    {
                        PersistenceLog.EventRowUnreadable(logger, cursor, kind, tenant, sessionId, ex.InnerException?.GetType().Name ?? ex.GetType().Name);
                    }
                }
            }

            if (!full && rows < requested)
            {
                break;
            }
        }
    }

    /// <summary>
    /// The delivery status in the first row of a query selecting <c>event_id, received_at, kind, data</c> of a
    /// <see cref="MessageStatusChanged"/> event; null when there is no row or it does not decode (logged).
    /// </summary>
    public static async Task<MessageStatus?> ReadStatusAsync(
        DbCommand command, string tenant, string sessionId, PayloadProtector payloads, ILogger logger, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var eventId = reader.GetInt64(0);
        var kind = reader.GetString(2);
        try
        {
            var payload = payloads.Unprotect(tenant, sessionId, reader.GetString(3), new ArrayBufferWriter<byte>(256));
            return (SessionEventCodec.Decode(tenant, sessionId, eventId, new DateTimeOffset(reader.GetInt64(1), TimeSpan.Zero), kind, payload) as MessageStatusChanged)?.Status;
        }
        catch (FormatException ex)
        {
            PersistenceLog.EventRowUnreadable(logger, eventId, kind, tenant, sessionId, ex.InnerException?.GetType().Name ?? ex.GetType().Name);
            return null;
        }
    }
}
