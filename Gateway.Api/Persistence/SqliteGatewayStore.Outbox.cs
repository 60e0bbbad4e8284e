using Gateway.Xmpp.Pool.Persistence;

namespace Gateway.Api.Persistence;

/// <summary>The outbox (<see cref="IOutbox"/>): accepted stanzas until the XMPP server acknowledged them.</summary>
internal sealed partial class SqliteGatewayStore : IOutbox
{
    public bool IsDurable => true;

    public async Task AddAsync(OutboxEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var xml = _payloads.Protect(entry.Tenant, entry.SessionId, SessionEventCodec.EncodeStanza(entry.Stanza));
        // A repeat of the same id (an idempotent retry racing its first attempt) keeps the first row.
        await WriteAsync(
            """
            INSERT INTO outbox (tenant, session_id, stanza_id, accepted_at, wait_for_ack, stanza)
            VALUES ($tenant, $session, $stanza, $acceptedAt, $waitForAck, $xml)
            ON CONFLICT (tenant, session_id, stanza_id) DO NOTHING
            """,
            cancellationToken,
            ("$tenant", entry.Tenant),
            ("$session", entry.SessionId),
            ("$stanza", entry.StanzaId),
            ("$acceptedAt", entry.AcceptedAt.UtcTicks),
            ("$waitForAck", entry.WaitForAck ? 1 : 0),
            ("$xml", xml));
    }

    public async Task RemoveAsync(string tenant, string sessionId, string stanzaId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(sessionId);
        ArgumentNullException.ThrowIfNull(stanzaId);
        await WriteAsync(
            "DELETE FROM outbox WHERE tenant = $tenant AND session_id = $session AND stanza_id = $stanza",
            cancellationToken,
            ("$tenant", tenant),
            ("$session", sessionId),
            ("$stanza", stanzaId));
    }

    /// <summary>The session's entries in acceptance order; a row that no longer parses is logged and skipped.</summary>
    public async Task<IReadOnlyList<OutboxEntry>> LoadAsync(string tenant, string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(sessionId);
        await using var connection = await OpenReaderAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT stanza_id, accepted_at, wait_for_ack, stanza FROM outbox
            WHERE tenant = $tenant AND session_id = $session ORDER BY seq
            """;
        command.Parameters.AddWithValue("$tenant", tenant);
        command.Parameters.AddWithValue("$session", sessionId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var entries = new List<OutboxEntry>();
        while (await reader.ReadAsync(cancellationToken))
        {
            try
            {
                var stanza = SessionEventCodec.DecodeStanza(_payloads.Unprotect(tenant, sessionId, reader.GetString(3)));
                entries.Add(new OutboxEntry(tenant, sessionId, stanza, reader.GetInt64(2) != 0, new DateTimeOffset(reader.GetInt64(1), TimeSpan.Zero)));
            }
            catch (FormatException ex)
            {
                PersistenceLog.OutboxEntryUnreadable(_logger, tenant, sessionId, reader.GetString(0), ex);
            }
        }

        return entries;
    }

    // Explicit: IEventLog has a method of the same name and shape, for the session's events.
    async Task IOutbox.DeleteSessionAsync(string tenant, string sessionId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(sessionId);
        await WriteAsync("DELETE FROM outbox WHERE tenant = $tenant AND session_id = $session", cancellationToken, ("$tenant", tenant), ("$session", sessionId));
    }
}
