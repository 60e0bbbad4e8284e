// XEP-0045: Multi-User Chat (v1.35) https://xmpp.org/extensions/xep-0045.html
using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;
using Gateway.Xmpp.Pool.Persistence;

namespace Gateway.Xmpp.Pool.Rooms;

/// <summary>
/// The rooms a session is in or entering, across connections: the state the room parts share — the application's
/// side (<see cref="RoomManager"/>), what the rooms send (<see cref="RoomInboundHandler"/>), each connection
/// (<see cref="RoomsFeature"/>) and the store (<see cref="RoomPersistence"/>). The entries and the groupchat sends
/// awaiting their reflection are guarded by <see cref="Gate"/>: a part's read-then-change is one step under it, so the
/// members marked "under <see cref="Gate"/>" expect the caller to hold it; the others take it themselves.
/// </summary>
internal sealed class RoomTable
{
    private readonly Dictionary<Jid, RoomEntry> _rooms = [];
    private readonly Dictionary<string, (Jid Room, TaskCompletionSource Done)> _sends = new(StringComparer.Ordinal);

    /// <summary>Created rooms waiting for their configuration; made on first use, as most sessions never create a room.</summary>
    private Channel<Jid>? _toConfigure;

    /// <summary>Completed when a room is added; the self-ping waits on it while the session is in no room. Guarded by <see cref="Gate"/>.</summary>
    private TaskCompletionSource _roomAdded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Guards every entry, the table and the pending sends.</summary>
    public Lock Gate { get; } = new();

    /// <summary>How many rooms the session is in or entering; under <see cref="Gate"/>.</summary>
    public int Count => _rooms.Count;

    /// <summary>A copy of the entries (the caller may remove while it goes through them); under <see cref="Gate"/>.</summary>
    public List<RoomEntry> Entries() => [.. _rooms.Values];

    /// <summary>The room's entry, by bare JID; under <see cref="Gate"/>.</summary>
    public bool TryGet(Jid room, [NotNullWhen(true)] out RoomEntry? entry) => _rooms.TryGetValue(room, out entry);

    /// <summary>Adds a room and wakes the self-ping if it waited for one; under <see cref="Gate"/>.</summary>
    public void Add(RoomEntry entry)
    {
        _rooms[entry.Room] = entry;
        _roomAdded.TrySetResult();
    }

    /// <summary>Forgets a room; under <see cref="Gate"/>.</summary>
    public void Remove(Jid room) => _rooms.Remove(room);

    /// <summary>The room's entry, if the session is in it and not leaving; under <see cref="Gate"/>.</summary>
    /// <exception cref="RoomNotJoinedException">Not in the room, leaving it, or not confirmed yet.</exception>
    public RoomEntry RequireJoined(Jid room)
    {
        if (!_rooms.TryGetValue(room, out var entry) || entry.Leaving)
        {
            throw new RoomNotJoinedException(room, state: null);
        }

        return entry.State == RoomJoinState.Joined ? entry : throw new RoomNotJoinedException(room, entry.State);
    }

    /// <summary>A stanza sent to the room by id, completed by its reflection or failed by its error; under <see cref="Gate"/>.</summary>
    public void AddSend(string id, Jid room, TaskCompletionSource done) => _sends[id] = (room, done);

    /// <summary>Under <see cref="Gate"/>.</summary>
    public void RemoveSend(string id) => _sends.Remove(id);

    /// <summary>Who waits for the stanza with this id sent to this room (a stranger cannot settle another room's send); under <see cref="Gate"/>.</summary>
    public bool TryGetSend(string id, Jid room, [NotNullWhen(true)] out TaskCompletionSource? done)
    {
        done = _sends.TryGetValue(id, out var send) && send.Room == room ? send.Done : null;
        return done is not null;
    }

    /// <summary>A room our entry created, for the connection to configure (XEP-0045 §10.1.2). Any thread.</summary>
    public void QueueConfiguration(Jid room) => ToConfigure.Writer.TryWrite(room);

    /// <summary>The created rooms to configure, in order; one reader at a time (the current connection).</summary>
    public IAsyncEnumerable<Jid> ToConfigureAsync(CancellationToken cancellationToken) => ToConfigure.Reader.ReadAllAsync(cancellationToken);

    // Every caller gets the one instance stored first, so nothing is ever written to a channel nobody reads.
    private Channel<Jid> ToConfigure =>
        LazyInitializer.EnsureInitialized(ref _toConfigure, static () => Channel.CreateUnbounded<Jid>(new UnboundedChannelOptions { SingleReader = true }));

    /// <summary>Completes once the session is in at least one room (at once when it is).</summary>
    public Task InAnyRoomAsync(CancellationToken cancellationToken)
    {
        lock (Gate)
        {
            if (_rooms.Count > 0)
            {
                return Task.CompletedTask;
            }

            if (_roomAdded.Task.IsCompleted)
            {
                _roomAdded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            return _roomAdded.Task.WaitAsync(cancellationToken);
        }
    }

    public IReadOnlyList<RoomInfo> List()
    {
        lock (Gate)
        {
            return [.. _rooms.Values.Select(r => r.Info).OrderBy(r => r.Room.ToString(), StringComparer.Ordinal)];
        }
    }

    public RoomInfo? Find(Jid room)
    {
        ArgumentNullException.ThrowIfNull(room);
        lock (Gate)
        {
            return _rooms.TryGetValue(room.Bare, out var entry) ? entry.Info : null;
        }
    }

    public IReadOnlyList<RoomOccupant>? Occupants(Jid room)
    {
        ArgumentNullException.ThrowIfNull(room);
        lock (Gate)
        {
            return _rooms.TryGetValue(room.Bare, out var entry)
                ? [.. entry.Occupants.Values.OrderBy(o => o.Nick, StringComparer.Ordinal)]
                : null;
        }
    }

    /// <summary>Rooms a restored session was in (from the store): entered on its first connection.</summary>
    public void Restore(IEnumerable<StoredRoom> rooms)
    {
        lock (Gate)
        {
            foreach (var stored in rooms)
            {
                var entry = new RoomEntry(stored.Room.Bare, stored.Nick, stored.Password)
                {
                    State = RoomJoinState.Rejoining,
                    Confirmed = true,
                    LastMessageAt = stored.LastMessageAt,
                };
                foreach (var id in stored.RecentStanzaIds)
                {
                    entry.Remember(id);
                }

                Add(entry);
            }
        }
    }
}
