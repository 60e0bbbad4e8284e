using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;

namespace Gateway.Api.Persistence;

/// <summary>The store keys (<see cref="PayloadProtector"/>): random, created once, kept in the database wrapped by Data Protection.</summary>
internal sealed partial class SqliteGatewayStore
{
    /// <summary>Changing how a store key is wrapped means a new purpose (v2), with v1 still readable.</summary>
    public const string StoreKeyPurpose = "Gateway.StoreKey.v1";

    private const int StoreKeySize = 32;

    /// <summary>
    /// Unwraps every store key this key ring can (a key it cannot is logged, 5503, and its values stay unreadable
    /// until the right key ring is back), and seals new values with the newest of them; when there is none, creates
    /// one. Runs on the writer connection before the write loop starts.
    /// </summary>
    private StoreKeys LoadStoreKeys(IDataProtectionProvider dataProtection)
    {
        var protector = dataProtection.CreateProtector(StoreKeyPurpose);
        using var transaction = _writer.BeginTransaction();
        var keys = new Dictionary<int, byte[]>();
        var lastId = 0;
        using (var read = WriterCommand(transaction, "SELECT id, key_protected FROM store_keys ORDER BY id"))
        using (var reader = read.ExecuteReader())
        {
            while (reader.Read())
            {
                var id = reader.GetInt32(0);
                lastId = id;
                try
                {
                    var key = protector.Unprotect(Convert.FromBase64String(reader.GetString(1)));
                    if (key.Length == StoreKeySize)
                    {
                        keys[id] = key;
                        continue;
                    }
                }
                catch (Exception ex) when (ex is CryptographicException or FormatException)
                {
                }

                PersistenceLog.StoreKeyUnreadable(_logger, id);
            }
        }

        if (keys.Count > 0)
        {
            return new StoreKeys(keys, keys.Keys.Max());
        }

        var created = RandomNumberGenerator.GetBytes(StoreKeySize);
        var newId = lastId + 1;
        using (var insert = WriterCommand(transaction, "INSERT INTO store_keys (id, created_at, key_protected) VALUES ($id, $createdAt, $key)"))
        {
            insert.Parameters.AddWithValue("$id", newId);
            insert.Parameters.AddWithValue("$createdAt", DateTimeOffset.UtcNow.UtcTicks);
            insert.Parameters.AddWithValue("$key", Convert.ToBase64String(protector.Protect(created)));
            insert.ExecuteNonQuery();
        }

        transaction.Commit();
        PersistenceLog.StoreKeyCreated(_logger, newId);
        return new StoreKeys(new Dictionary<int, byte[]> { [newId] = created }, newId);
    }
}
