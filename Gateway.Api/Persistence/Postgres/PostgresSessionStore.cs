using System.Security.Cryptography;
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
        command.CommandText = "SELECT tenant, id, created_at, spec_protected FROM sessions ORDER BY tenant, id";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var sessions = new List<StoredSession>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var tenant = reader.GetString(0);
            var id = reader.GetString(1);
            try
            {
                var spec = specs.Unprotect(tenant, id, reader.GetString(3));
                sessions.Add(new StoredSession(tenant, id, spec, new DateTimeOffset(reader.GetInt64(2), TimeSpan.Zero)));
            }
            catch (Exception ex) when (ex is CryptographicException or FormatException or ArgumentException)
            {
                // Never the message: it could quote what was decrypted.
                PersistenceLog.SessionRowUnreadable(logger, tenant, id, ex.GetType().Name);
            }
        }

        return sessions;
    }
}
