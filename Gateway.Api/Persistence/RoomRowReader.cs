using System.Data.Common;
using System.Security.Cryptography;
using Gateway.Xmpp.Pool.Persistence;

namespace Gateway.Api.Persistence;

/// <summary>
/// Reads a session's room rows (<c>room, data_protected</c>, in that order) the same way for every store: unsealed by
/// <see cref="RoomProtector"/>; a row that does not decrypt is logged (5530) and skipped, never the reason it gives.
/// </summary>
internal static class RoomRowReader
{
    public static async Task<IReadOnlyList<StoredRoom>> ReadAsync(
        DbCommand command, string tenant, string sessionId, RoomProtector rooms, ILogger logger, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var found = new List<StoredRoom>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                found.Add(rooms.Unprotect(tenant, sessionId, reader.GetString(0), reader.GetString(1)));
            }
            catch (Exception ex) when (ex is CryptographicException or FormatException or ArgumentException)
            {
                // Never the message: it could quote what was decrypted.
                PersistenceLog.RoomRowUnreadable(logger, tenant, sessionId, ex.GetType().Name);
            }
        }

        return found;
    }
}
