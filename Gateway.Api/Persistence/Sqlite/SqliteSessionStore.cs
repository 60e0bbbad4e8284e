using Gateway.Xmpp.Pool.Persistence;

namespace Gateway.Api.Persistence.Sqlite;

/// <summary>Session definitions in the SQLite file (<see cref="ISessionStore"/>): one row per session, the spec sealed whole by <see cref="SessionSpecProtector"/>.</summary>
internal sealed class SqliteSessionStore(SqliteDatabase database, SessionSpecProtector specs, ILogger logger) : ISessionStore
{
    public async Task SaveAsync(StoredSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        var specProtected = specs.Protect(session.Tenant, session.Id, session.Spec);
        var createdAt = session.CreatedAt.UtcTicks;
        await database.WriteAsync(
            """
            INSERT INTO sessions (tenant, id, created_at, spec_protected) VALUES ($tenant, $id, $createdAt, $spec)
            ON CONFLICT (tenant, id) DO UPDATE SET created_at = excluded.created_at, spec_protected = excluded.spec_protected
            """,
            cancellationToken,
            ("$tenant", session.Tenant),
            ("$id", session.Id),
            ("$createdAt", createdAt),
            ("$spec", specProtected));
    }

    public async Task DeleteAsync(string tenant, string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(sessionId);
        await database.WriteAsync("DELETE FROM sessions WHERE tenant = $tenant AND id = $id", cancellationToken, ("$tenant", tenant), ("$id", sessionId));
    }

    /// <summary>Every stored session whose spec decrypts; the others are logged (5510) and left in place.</summary>
    public async Task<IReadOnlyList<StoredSession>> LoadAllAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenReaderAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {StoredSessionReader.Columns} FROM sessions ORDER BY tenant, id";
        return await StoredSessionReader.ReadAsync(command, specs, logger, cancellationToken);
    }

    /// <summary>One stored session by its key (null also when its spec does not decrypt: logged, as by <see cref="LoadAllAsync"/>).</summary>
    public async Task<StoredSession?> FindAsync(string tenant, string sessionId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenReaderAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {StoredSessionReader.Columns} FROM sessions WHERE tenant = $tenant AND id = $id";
        command.Parameters.AddWithValue("$tenant", tenant);
        command.Parameters.AddWithValue("$id", sessionId);
        return (await StoredSessionReader.ReadAsync(command, specs, logger, cancellationToken)).SingleOrDefault();
    }
}
