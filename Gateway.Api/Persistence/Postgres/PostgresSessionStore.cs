using Gateway.Xmpp.Pool.Persistence;

namespace Gateway.Api.Persistence.Postgres;

/// <summary>Session definitions on PostgreSQL (<see cref="ISessionStore"/>): one row per session, the spec sealed whole by <see cref="SessionSpecProtector"/>.</summary>
internal sealed class PostgresSessionStore(PostgresDatabase database, SessionSpecProtector specs, ILogger logger) : ISessionStore
{
    public async Task SaveAsync(StoredSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        var specProtected = specs.Protect(session.Tenant, session.Id, session.Spec);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO sessions (tenant, id, created_at, spec_protected) VALUES (@tenant, @id, @createdAt, @spec)
            ON CONFLICT (tenant, id) DO UPDATE SET created_at = excluded.created_at, spec_protected = excluded.spec_protected
            """;
        command.Parameters.AddWithValue("tenant", session.Tenant);
        command.Parameters.AddWithValue("id", session.Id);
        command.Parameters.AddWithValue("createdAt", session.CreatedAt.UtcTicks);
        command.Parameters.AddWithValue("spec", specProtected);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task DeleteAsync(string tenant, string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(sessionId);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM sessions WHERE tenant = @tenant AND id = @id";
        command.Parameters.AddWithValue("tenant", tenant);
        command.Parameters.AddWithValue("id", sessionId);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Every stored session whose spec decrypts; the others are logged (5510) and left in place.</summary>
    public async Task<IReadOnlyList<StoredSession>> LoadAllAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {StoredSessionReader.Columns} FROM sessions ORDER BY tenant, id";
        return await StoredSessionReader.ReadAsync(command, specs, logger, cancellationToken);
    }

    /// <summary>One stored session by its key (null also when its spec does not decrypt: logged, as by <see cref="LoadAllAsync"/>).</summary>
    public async Task<StoredSession?> FindAsync(string tenant, string sessionId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {StoredSessionReader.Columns} FROM sessions WHERE tenant = @tenant AND id = @id";
        command.Parameters.AddWithValue("tenant", tenant);
        command.Parameters.AddWithValue("id", sessionId);
        return (await StoredSessionReader.ReadAsync(command, specs, logger, cancellationToken)).SingleOrDefault();
    }
}
