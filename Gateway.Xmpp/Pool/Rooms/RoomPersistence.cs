using Gateway.Xmpp.Diagnostics;
using Gateway.Xmpp.Pool.Persistence;
using Microsoft.Extensions.Logging;

namespace Gateway.Xmpp.Pool.Rooms;

/// <summary>
/// Keeps what the session is in (the <see cref="RoomTable"/>'s confirmed rooms) in the <see cref="IRoomStore"/> for a
/// gateway restart. Best effort: a store failure is logged and the room stays joined.
/// </summary>
/// <param name="table">The session's rooms.</param>
/// <param name="store">Where they are kept.</param>
/// <param name="tenant">The owning tenant.</param>
/// <param name="sessionId">The session.</param>
/// <param name="logger">Where it logs (never a password).</param>
internal sealed class RoomPersistence(RoomTable table, IRoomStore store, string tenant, string sessionId, ILogger logger)
{
    /// <summary>How many of a room's recent stanza-ids are stored, to drop repeats in the history after a restart.</summary>
    private const int StoredStanzaIds = 32;

    /// <summary>Stores the room as it stands, if it was ever confirmed.</summary>
    public async Task PersistAsync(Jid room)
    {
        StoredRoom? stored;
        lock (table.Gate)
        {
            stored = table.TryGet(room, out var entry) && entry.Confirmed ? Snapshot(entry) : null;
        }

        if (stored is null)
        {
            return;
        }

        try
        {
            await store.SaveRoomAsync(stored, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.RoomStoreFailed(logger, tenant, sessionId, ex.GetType().Name, ex);
        }
    }

    /// <summary>Removes the room from the store (the session left it, or was thrown out).</summary>
    public async Task ForgetAsync(Jid room)
    {
        try
        {
            await store.DeleteRoomAsync(tenant, sessionId, room, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.RoomStoreFailed(logger, tenant, sessionId, ex.GetType().Name, ex);
        }
    }

    /// <summary>Stores what changed since the last time (the newest message, recent stanza-ids) for every room.</summary>
    public async Task PersistChangedAsync()
    {
        List<Jid> changed;
        lock (table.Gate)
        {
            changed = [.. table.Entries().Where(r => r.Dirty && r.Confirmed).Select(r => r.Room)];
        }

        foreach (var room in changed)
        {
            await PersistAsync(room).ConfigureAwait(false);
        }
    }

    /// <summary>Under <see cref="RoomTable.Gate"/>: the entry as stored; it is clean from now on.</summary>
    private StoredRoom Snapshot(RoomEntry entry)
    {
        entry.Dirty = false;
        return new StoredRoom(tenant, sessionId, entry.Room, entry.Nick, entry.Password)
        {
            LastMessageAt = entry.LastMessageAt,
            RecentStanzaIds = [.. entry.RecentStanzaIds.TakeLast(StoredStanzaIds)],
        };
    }
}
