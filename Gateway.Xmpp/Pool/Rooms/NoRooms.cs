using Gateway.Xmpp.Muc;

namespace Gateway.Xmpp.Pool.Rooms;

/// <summary>The rooms of a session that has none and can join none (test doubles of <see cref="IManagedSession"/>).</summary>
internal sealed class NoRooms : IRoomManager
{
    public static readonly NoRooms Instance = new();

    public IReadOnlyList<RoomInfo> List() => [];

    public RoomInfo? Find(Jid room) => null;

    public IReadOnlyList<RoomOccupant>? Occupants(Jid room) => null;

    public Task<RoomInfo> JoinAsync(Jid room, string nick, string? password = null, MucHistory? history = null, CancellationToken cancellationToken = default) =>
        Task.FromException<RoomInfo>(new RoomNotJoinedException(room, state: null));

    public Task<bool> LeaveAsync(Jid room, CancellationToken cancellationToken = default) => Task.FromResult(false);

    public Task<string> SendAsync(Jid room, Message message, CancellationToken cancellationToken = default) => Refuse<string>(room);

    public Task SetSubjectAsync(Jid room, string subject, CancellationToken cancellationToken = default) => Refuse<bool>(room);

    public Task<string> InviteAsync(Jid room, Jid invitee, string? reason, CancellationToken cancellationToken = default) => Refuse<string>(room);

    public Task<string> SendPrivateAsync(Jid room, string nick, Message message, CancellationToken cancellationToken = default) => Refuse<string>(room);

    public Task SetRoleAsync(Jid room, string nick, MucRole role, string? reason, CancellationToken cancellationToken = default) => Refuse<bool>(room);

    public Task SetAffiliationAsync(Jid room, Jid user, MucAffiliation affiliation, string? reason, CancellationToken cancellationToken = default) => Refuse<bool>(room);

    private static Task<T> Refuse<T>(Jid room) => Task.FromException<T>(new RoomNotJoinedException(room, state: null));
}
