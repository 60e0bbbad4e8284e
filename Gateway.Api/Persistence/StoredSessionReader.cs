using System.Data.Common;
using System.Security.Cryptography;
using Gateway.Xmpp.Pool.Persistence;

namespace Gateway.Api.Persistence;

/// <summary>
/// Reads session rows (<c>tenant, id, created_at, spec_protected</c>, in that order) the same way for every store:
/// a row whose spec does not decrypt is logged (5510) and skipped, never the reason it gives.
/// </summary>
internal static class StoredSessionReader
{
    /// <summary>The columns a query selects for <see cref="ReadAsync"/>.</summary>
    public const string Columns = "tenant, id, created_at, spec_protected";

    public static async Task<IReadOnlyList<StoredSession>> ReadAsync(DbCommand command, SessionSpecProtector specs, ILogger logger, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var sessions = new List<StoredSession>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
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
