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

        var keys = StoreKeyRing.LoadOrCreate(connection, transaction, dataProtection, logger);
        transaction.Commit();
        return keys;
    }
}
