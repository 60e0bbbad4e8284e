using Gateway.Xmpp;
using Gateway.Xmpp.Pool.Persistence;

namespace Gateway.Api.Persistence.Postgres;

/// <summary>The rooms each session is in, on PostgreSQL (<see cref="IRoomStore"/>): one row per room, sealed by <see cref="RoomProtector"/>.</summary>
internal sealed class PostgresRoomStore(PostgresDatabase database, RoomProtector rooms, ILogger logger) : IRoomStore
{
    public async Task SaveRoomAsync(StoredRoom room, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(room);
        var dataProtected = rooms.Protect(room);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO rooms (tenant, session_id, room, data_protected) VALUES (@tenant, @session, @room, @data)
            ON CONFLICT (tenant, session_id, room) DO UPDATE SET data_protected = excluded.data_protected
            """;
        command.Parameters.AddWithValue("tenant", room.Tenant);
        command.Parameters.AddWithValue("session", room.SessionId);
        command.Parameters.AddWithValue("room", room.Room.Bare.ToString());
        command.Parameters.AddWithValue("data", dataProtected);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task DeleteRoomAsync(string tenant, string sessionId, Jid room, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(sessionId);
        ArgumentNullException.ThrowIfNull(room);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM rooms WHERE tenant = @tenant AND session_id = @session AND room = @room";
        command.Parameters.AddWithValue("tenant", tenant);
        command.Parameters.AddWithValue("session", sessionId);
        command.Parameters.AddWithValue("room", room.Bare.ToString());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The session's rooms whose rows decrypt; the others are logged (5530) and left in place.</summary>
    public async Task<IReadOnlyList<StoredRoom>> LoadRoomsAsync(string tenant, string sessionId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT room, data_protected FROM rooms WHERE tenant = @tenant AND session_id = @session ORDER BY room";
        command.Parameters.AddWithValue("tenant", tenant);
        command.Parameters.AddWithValue("session", sessionId);
        return await RoomRowReader.ReadAsync(command, tenant, sessionId, rooms, logger, cancellationToken);
    }
}
