using Gateway.Xmpp.Diagnostics;
using Gateway.Xmpp.Pool.Persistence;

namespace Gateway.Xmpp.Pool.Rooms;

/// <summary>What the session is in, kept in the <see cref="IRoomStore"/> for a gateway restart.</summary>
internal sealed partial class RoomManager
{
    /// <summary>Stores the room as it stands (best effort: a store failure is logged; the room stays joined).</summary>
    private async Task PersistAsync(Jid room)
    {
        StoredRoom? stored;
        lock (_gate)
        {
            stored = _rooms.TryGetValue(room, out var entry) && entry.Confirmed ? Snapshot(entry) : null;
        }

        if (stored is null)
        {
            return;
        }

        try
        {
            await _store.SaveRoomAsync(stored, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.RoomStoreFailed(_logger, _journal.Tenant, _journal.SessionId, ex.GetType().Name, ex);
        }
    }

    private async Task ForgetAsync(Jid room)
    {
        try
        {
            await _store.DeleteRoomAsync(_journal.Tenant, _journal.SessionId, room, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.RoomStoreFailed(_logger, _journal.Tenant, _journal.SessionId, ex.GetType().Name, ex);
        }
    }

    /// <summary>Stores what changed since the last time (the newest message, recent stanza-ids) for every room.</summary>
    private async Task PersistChangedAsync()
    {
        List<Jid> changed;
        lock (_gate)
        {
            changed = [.. _rooms.Values.Where(r => r.Dirty && r.Confirmed).Select(r => r.Room)];
        }

        foreach (var room in changed)
        {
            await PersistAsync(room).ConfigureAwait(false);
        }
    }

    private StoredRoom Snapshot(RoomEntry entry)
    {
        entry.Dirty = false;
        return new StoredRoom(_journal.Tenant, _journal.SessionId, entry.Room, entry.Nick, entry.Password)
        {
            LastMessageAt = entry.LastMessageAt,
            RecentStanzaIds = [.. entry.RecentStanzaIds.TakeLast(32)],
        };
    }
}
