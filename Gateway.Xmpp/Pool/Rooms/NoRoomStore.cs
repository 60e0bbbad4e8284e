using Gateway.Xmpp.Pool.Persistence;

namespace Gateway.Xmpp.Pool.Rooms;

/// <summary>Keeps no rooms: for a session without a store (tests of the session alone).</summary>
internal sealed class NoRoomStore : IRoomStore
{
    public static readonly NoRoomStore Instance = new();

    public Task SaveRoomAsync(StoredRoom room, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task DeleteRoomAsync(string tenant, string sessionId, Jid room, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task<IReadOnlyList<StoredRoom>> LoadRoomsAsync(string tenant, string sessionId, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<StoredRoom>>([]);
}
