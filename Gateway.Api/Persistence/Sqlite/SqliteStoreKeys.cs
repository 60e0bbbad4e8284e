using Microsoft.AspNetCore.DataProtection;

namespace Gateway.Api.Persistence.Sqlite;

/// <summary>The store keys (<see cref="PayloadProtector"/>) in the <c>store_keys</c> table, wrapped by Data Protection (<see cref="StoreKeyRing"/>).</summary>
internal static class SqliteStoreKeys
{
    /// <summary>
    /// Unwraps every store key this key ring can and seals new values with the newest of them; when there is none,
    /// creates one. Runs on the writer connection before the store takes writes.
    /// </summary>
    public static StoreKeys Load(SqliteDatabase database, IDataProtectionProvider dataProtection, ILogger logger)
    {
        using var transaction = database.Writer.BeginTransaction();
        var rows = new List<(int Id, string KeyProtected)>();
        using (var read = database.WriterCommand(transaction, "SELECT id, key_protected FROM store_keys ORDER BY id"))
        using (var reader = read.ExecuteReader())
        {
            while (reader.Read())
            {
                rows.Add((reader.GetInt32(0), reader.GetString(1)));
            }
        }

        if (StoreKeyRing.Unwrap(dataProtection, rows, logger) is { } keys)
        {
            return keys;
        }

        var newId = rows.Count == 0 ? 1 : rows[^1].Id + 1;
        var (created, keyProtected) = StoreKeyRing.Create(dataProtection, newId, logger);
        using (var insert = database.WriterCommand(transaction, "INSERT INTO store_keys (id, created_at, key_protected) VALUES ($id, $createdAt, $key)"))
        {
            insert.Parameters.AddWithValue("$id", newId);
            insert.Parameters.AddWithValue("$createdAt", DateTimeOffset.UtcNow.UtcTicks);
            insert.Parameters.AddWithValue("$key", keyProtected);
            insert.ExecuteNonQuery();
        }

        transaction.Commit();
        return created;
    }
}
