using System.Data.Common;
using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;

namespace Gateway.Api.Persistence;

/// <summary>
/// What every store does with its store keys (<see cref="PayloadProtector"/>), whatever database holds them: unwrap the
/// stored ones with Data Protection, or create the first. The rows of <c>store_keys</c> are read and written here, in
/// SQL both dialects share, inside the store's transaction, which keeps a second process from creating a key at the
/// same time.
/// </summary>
internal static class StoreKeyRing
{
    /// <summary>Changing how a store key is wrapped means a new purpose (v2), with v1 still readable.</summary>
    public const string Purpose = "Gateway.StoreKey.v1";

    private const int StoreKeySize = 32;

    /// <summary>
    /// The store keys in <c>store_keys</c> that this key ring unwraps (<see cref="Unwrap"/>); when none does, a new one
    /// (<see cref="Create"/>), stored. Runs in <paramref name="transaction"/>, which the caller commits.
    /// </summary>
    public static StoreKeys LoadOrCreate(DbConnection connection, DbTransaction transaction, IDataProtectionProvider dataProtection, ILogger logger)
    {
        var rows = new List<(int Id, string KeyProtected)>();
        using (var read = connection.CreateCommand())
        {
            read.Transaction = transaction;
            read.CommandText = "SELECT id, key_protected FROM store_keys ORDER BY id";
            using var reader = read.ExecuteReader();
            while (reader.Read())
            {
                rows.Add((reader.GetInt32(0), reader.GetString(1)));
            }
        }

        if (Unwrap(dataProtection, rows, logger) is { } keys)
        {
            return keys;
        }

        var newId = rows.Count == 0 ? 1 : rows[^1].Id + 1;
        var (created, keyProtected) = Create(dataProtection, newId, logger);
        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = "INSERT INTO store_keys (id, created_at, key_protected) VALUES (@id, @createdAt, @key)";
        foreach (var (name, value) in new (string, object)[] { ("@id", newId), ("@createdAt", DateTimeOffset.UtcNow.UtcTicks), ("@key", keyProtected) })
        {
            var parameter = insert.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            insert.Parameters.Add(parameter);
        }

        insert.ExecuteNonQuery();
        return created;
    }

    /// <summary>
    /// Every stored key this key ring can unwrap (a key it cannot is logged, 5503, and its values stay unreadable until
    /// the right key ring is back), new values sealed with the newest; null when none unwraps and one must be created.
    /// </summary>
    /// <param name="dataProtection">Wraps the store keys.</param>
    /// <param name="rows">The stored keys, by id.</param>
    /// <param name="logger">Logs a key that does not unwrap.</param>
    public static StoreKeys? Unwrap(IDataProtectionProvider dataProtection, IEnumerable<(int Id, string KeyProtected)> rows, ILogger logger)
    {
        var protector = dataProtection.CreateProtector(Purpose);
        var keys = new Dictionary<int, byte[]>();
        foreach (var (id, keyProtected) in rows)
        {
            try
            {
                var key = protector.Unprotect(Convert.FromBase64String(keyProtected));
                if (key.Length == StoreKeySize)
                {
                    keys[id] = key;
                    continue;
                }
            }
            catch (Exception ex) when (ex is CryptographicException or FormatException)
            {
            }

            PersistenceLog.StoreKeyUnreadable(logger, id);
        }

        return keys.Count > 0 ? new StoreKeys(keys, keys.Keys.Max()) : null;
    }

    /// <summary>A new random store key with id <paramref name="id"/>, and its wrapped form to store; logs 5504 (the caller stores it before using it).</summary>
    public static (StoreKeys Keys, string KeyProtected) Create(IDataProtectionProvider dataProtection, int id, ILogger logger)
    {
        var created = RandomNumberGenerator.GetBytes(StoreKeySize);
        var wrapped = Convert.ToBase64String(dataProtection.CreateProtector(Purpose).Protect(created));
        PersistenceLog.StoreKeyCreated(logger, id);
        return (new StoreKeys(new Dictionary<int, byte[]> { [id] = created }, id), wrapped);
    }
}
