using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;

namespace Gateway.Api.Persistence;

/// <summary>
/// What every store does with its store keys (<see cref="PayloadProtector"/>), whatever database holds them: unwrap the
/// stored ones with Data Protection, or create the first. The store reads and writes the rows, inside a transaction
/// that keeps a second process from creating a key at the same time.
/// </summary>
internal static class StoreKeyRing
{
    /// <summary>Changing how a store key is wrapped means a new purpose (v2), with v1 still readable.</summary>
    public const string Purpose = "Gateway.StoreKey.v1";

    private const int StoreKeySize = 32;

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
