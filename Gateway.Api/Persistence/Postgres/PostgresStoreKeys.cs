using Microsoft.AspNetCore.DataProtection;
using Npgsql;

namespace Gateway.Api.Persistence.Postgres;

/// <summary>The store keys (<see cref="PayloadProtector"/>) in the <c>store_keys</c> table, wrapped by Data Protection (<see cref="StoreKeyRing"/>).</summary>
internal static class PostgresStoreKeys
{
    /// <summary>
    /// Every stored key this key ring unwraps; when none does, a new one, stored. Under
    /// <see cref="PostgresSchema.StoreKeyLock"/>: nodes starting together on an empty database create one key between
    /// them, and each then reads it (the Data Protection key ring is shared through the database too).
    /// </summary>
    public static StoreKeys Load(PostgresDatabase database, IDataProtectionProvider dataProtection, ILogger logger)
    {
        using var connection = database.DataSource.OpenConnection();
        using var transaction = connection.BeginTransaction();
        using (var lockCommand = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({PostgresSchema.StoreKeyLock})", connection, transaction))
        {
            lockCommand.ExecuteNonQuery();
        }

        var rows = new List<(int Id, string KeyProtected)>();
        using (var read = new NpgsqlCommand("SELECT id, key_protected FROM store_keys ORDER BY id", connection, transaction))
        using (var reader = read.ExecuteReader())
        {
            while (reader.Read())
            {
                rows.Add((reader.GetInt32(0), reader.GetString(1)));
            }
        }

        if (StoreKeyRing.Unwrap(dataProtection, rows, logger) is { } keys)
        {
            transaction.Commit();
            return keys;
        }

        var newId = rows.Count == 0 ? 1 : rows[^1].Id + 1;
        var (created, keyProtected) = StoreKeyRing.Create(dataProtection, newId, logger);
        using (var insert = new NpgsqlCommand("INSERT INTO store_keys (id, created_at, key_protected) VALUES (@id, @createdAt, @key)", connection, transaction))
        {
            insert.Parameters.AddWithValue("id", newId);
            insert.Parameters.AddWithValue("createdAt", DateTimeOffset.UtcNow.UtcTicks);
            insert.Parameters.AddWithValue("key", keyProtected);
            insert.ExecuteNonQuery();
        }

        transaction.Commit();
        return created;
    }
}
