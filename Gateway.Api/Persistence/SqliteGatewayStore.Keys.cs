using Microsoft.AspNetCore.DataProtection;

namespace Gateway.Api.Persistence;

/// <summary>The store keys (<see cref="PayloadProtector"/>): random, created once, kept in the database wrapped by Data Protection (<see cref="StoreKeyRing"/>).</summary>
internal sealed partial class SqliteGatewayStore
{
    /// <summary>Changing how a store key is wrapped means a new purpose (v2), with v1 still readable.</summary>
    public const string StoreKeyPurpose = StoreKeyRing.Purpose;

    /// <summary>
    /// Unwraps every store key this key ring can and seals new values with the newest of them; when there is none,
    /// creates one. Runs on the writer connection before the write loop starts.
    /// </summary>
    private StoreKeys LoadStoreKeys(IDataProtectionProvider dataProtection)
    {
        using var transaction = _writer.BeginTransaction();
        var rows = new List<(int Id, string KeyProtected)>();
        using (var read = WriterCommand(transaction, "SELECT id, key_protected FROM store_keys ORDER BY id"))
        using (var reader = read.ExecuteReader())
        {
            while (reader.Read())
            {
                rows.Add((reader.GetInt32(0), reader.GetString(1)));
            }
        }

        if (StoreKeyRing.Unwrap(dataProtection, rows, _logger) is { } keys)
        {
            return keys;
        }

        var newId = rows.Count == 0 ? 1 : rows[^1].Id + 1;
        var (created, keyProtected) = StoreKeyRing.Create(dataProtection, newId, _logger);
        using (var insert = WriterCommand(transaction, "INSERT INTO store_keys (id, created_at, key_protected) VALUES ($id, $createdAt, $key)"))
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
