using Gateway.Xmpp;
using Gateway.Xmpp.Pool.Persistence;

namespace Gateway.Api.Persistence.Sqlite;

/// <summary>The rooms each session is in, in the SQLite file (<see cref="IRoomStore"/>): one row per room, sealed by <see cref="RoomProtector"/>.</summary>
internal sealed class SqliteRoomStore(SqliteDatabase database, RoomProtector rooms, ILogger logger) : IRoomStore
{
    public async Task SaveRoomAsync(StoredRoom room, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(room);
        await database.WriteAsync(
            """
            INSERT INTO rooms (tenant, session_id, room, data_protected) VALUES ($tenant, $session, $room, $data)
            ON CONFLICT (tenant, session_id, room) DO UPDATE SET data_protected = excluded.data_protected
            """,
            cancellationToken,
            ("$tenant", room.Tenant),
            ("$session", room.SessionId),
            ("$room", room.Room.Bare.ToString()),
            ("$data", rooms.Protect(room)));
    }

    public async Task DeleteRoomAsync(string tenant, string sessionId, Jid room, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(sessionId);
        ArgumentNullException.ThrowIfNull(room);
        await database.WriteAsync(
            "DELETE FROM rooms WHERE tenant = $tenant AND session_id = $session AND room = $room",
            cancellationToken,
            ("$tenant", tenant),
            ("$session", sessionId),
            ("$room", room.Bare.ToString()));
    }

    /// <summary>The session's rooms whose rows decrypt; the others are logged (5530) and left in place.</summary>
    public async Task<IReadOnlyList<StoredRoom>> LoadRoomsAsync(string tenant, string sessionId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenReaderAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT room, data_protected FROM rooms WHERE tenant = $tenant AND session_id = $session ORDER BY room";
        command.Parameters.AddWithValue("$tenant", tenant);
        command.Parameters.AddWithValue("$session", sessionId);
        return await RoomRowReader.ReadAsync(command, tenant, sessionId, rooms, logger, cancellationToken);
    }
}
