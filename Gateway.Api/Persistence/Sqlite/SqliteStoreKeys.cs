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
        var keys = StoreKeyRing.LoadOrCreate(database.Writer, transaction, dataProtection, logger);
        transaction.Commit();
        return keys;
    }
}
