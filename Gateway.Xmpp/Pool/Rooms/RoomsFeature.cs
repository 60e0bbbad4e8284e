// XEP-0045: Multi-User Chat (v1.35) §7.2, §10.1
// XEP-0410: MUC Self-Ping (v1.1.0) §3
using Gateway.Xmpp.Client;
using Gateway.Xmpp.Diagnostics;
using Gateway.Xmpp.Muc;
using Gateway.Xmpp.Pool.Journal;
using Microsoft.Extensions.Logging;

namespace Gateway.Xmpp.Pool.Rooms;

/// <summary>
/// The session's rooms on each connection. RFC 6121 §4.6 and XEP-0045 §7.2: a room sees us as long as the stream that
/// entered it lives, so every new stream (not a resumed one, XEP-0198 §5) enters every room again, asking only for the
/// history after the newest message seen (§7.2.15). A room can also drop us silently (a room restart): a XEP-0410
/// self-ping at <see cref="RoomOptions.SelfPingInterval"/> finds that out and enters again — while the session is in a
/// room only. Rooms our entries created are configured here (an instant room, §10.1.2) before they count as joined.
/// </summary>
/// <param name="table">The session's rooms.</param>
/// <param name="persistence">Where what changed is stored when a connection ends.</param>
/// <param name="journal">Where room events are published.</param>
/// <param name="options">Timeouts and the self-ping interval.</param>
/// <param name="time">The clock.</param>
/// <param name="logger">Where it logs (never a password).</param>
internal sealed class RoomsFeature(RoomTable table, RoomPersistence persistence, SessionJournal journal, RoomOptions options, TimeProvider time, ILogger logger) : IConnectionFeature
{
    /// <summary>1 from the start of a new stream until its rooms' entries are written (cf. <see cref="SessionPresence"/>).</summary>
    private int _rejoinPending;

    /// <summary>
    /// A new stream (RFC 6121 §4.6: the server forgot our directed presence, so every room dropped us): every room is
    /// entered again, asking for the history since the newest message seen (XEP-0045 §7.2.15). A resumed stream
    /// (XEP-0198 §5) kept us in, unless the connection that began it ended before the entries were written.
    /// </summary>
    public async ValueTask OnConnectedAsync(ConnectionContext context, CancellationToken cancellationToken)
    {
        if (context.Resumed && Volatile.Read(ref _rejoinPending) == 0)
        {
            return;
        }

        Volatile.Write(ref _rejoinPending, 1);
        var now = time.GetUtcNow();
        var events = new List<SessionEvent>();
        var joins = new List<Presence>();
        var left = new List<Jid>();
        lock (table.Gate)
        {
            foreach (var entry in table.Entries())
            {
                if (entry.Leaving)
                {
                    // Asked to leave and the stream ended before the room confirmed: out now anyway.
                    table.Remove(entry.Room);
                    left.Add(entry.Room);
                    events.Add(new RoomStateChanged(journal.Tenant, journal.SessionId, 0, now, entry.Room, RoomState.Left, entry.Nick));
                    continue;
                }

                if (entry.State == RoomJoinState.Joined)
                {
                    entry.StartRejoining();
                    events.Add(new RoomStateChanged(journal.Tenant, journal.SessionId, 0, now, entry.Room, RoomState.Rejoining, entry.Nick));
                }

                joins.Add(RejoinToSend(entry));
            }
        }

        await journal.PublishAllAsync(events, cancellationToken).ConfigureAwait(false);
        foreach (var room in left)
        {
            await persistence.ForgetAsync(room).ConfigureAwait(false);
        }

        foreach (var join in joins)
        {
            await context.Connection.SendAsync(join, cancellationToken).ConfigureAwait(false);
        }

        if (joins.Count > 0)
        {
            Log.RoomsRejoining(logger, journal.Tenant, journal.SessionId, joins.Count);
        }

        Volatile.Write(ref _rejoinPending, 0);
    }

    /// <summary>Configures the rooms our entries created, and self-pings the joined ones, for the connection's life.</summary>
    public async Task RunAsync(ConnectionContext context, CancellationToken cancellationToken)
    {
        using var link = context.LinkEnded(cancellationToken, out var token);
        try
        {
            // Most sessions of a large pool never enter a room: until one does, a connection holds this one wait
            // instead of two loops, a channel read and a timer. A room created by our entry is in the table before
            // its configuration is queued, so nothing waits for the loops unseen.
            await table.InAnyRoomAsync(token).ConfigureAwait(false);
            await Task.WhenAll(ConfigureCreatedAsync(context.Connection, token), SelfPingAsync(context.Connection, token)).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>A graceful stop: what changed (the newest message seen) is stored for the entries after the restart.</summary>
    public async ValueTask OnStoppingAsync(ConnectionContext context, CancellationToken cancellationToken) =>
        await persistence.PersistChangedAsync().ConfigureAwait(false);

    public async ValueTask OnDisconnectedAsync(ConnectionContext context, CancellationToken cancellationToken) =>
        await persistence.PersistChangedAsync().ConfigureAwait(false);

    /// <summary>
    /// Checks every joined room once (XEP-0410) and enters again those that dropped us, and those that put us out
    /// because of an error from our JID (333) on this stream. For the timer and tests.
    /// </summary>
    internal async Task SelfPingOnceAsync(IXmppConnection connection, CancellationToken cancellationToken)
    {
        List<(Jid Room, string Nick)> joined;
        List<Presence> stranded = [];
        lock (table.Gate)
        {
            joined = [.. table.Entries().Where(r => r.State == RoomJoinState.Joined && !r.Leaving).Select(r => (r.Room, r.Nick))];
            foreach (var entry in table.Entries().Where(r => r.State == RoomJoinState.Rejoining && r.RemovedByError && !r.JoinSent && !r.Leaving && r.Entered is null))
            {
                stranded.Add(RejoinToSend(entry));
            }
        }

        foreach (var join in stranded)
        {
            await connection.SendAsync(join, cancellationToken).ConfigureAwait(false);
        }

        foreach (var (room, nick) in joined)
        {
            SelfPingVerdict verdict;
            try
            {
                var answer = await connection.SendIqAsync(MucElements.SelfPing(room, nick), options.AnswerTimeout, cancellationToken).ConfigureAwait(false);
                verdict = MucElements.Judge(answer.Error);
            }
            catch (StanzaErrorException ex)
            {
                verdict = MucElements.Judge(ex.Error);
            }
            catch (XmppTimeoutException)
            {
                // XEP-0410 §3.2: no answer says nothing certain; the next round asks again.
                verdict = SelfPingVerdict.Unknown;
            }

            Log.RoomSelfPinged(logger, journal.Tenant, journal.SessionId, verdict);
            if (verdict == SelfPingVerdict.NotJoined)
            {
                await RejoinAsync(connection, room, nick, cancellationToken).ConfigureAwait(false);
            }
        }

        await persistence.PersistChangedAsync().ConfigureAwait(false);
    }

    private async Task RejoinAsync(IXmppConnection connection, Jid room, string nick, CancellationToken cancellationToken)
    {
        Presence join;
        RoomStateChanged rejoining;
        lock (table.Gate)
        {
            if (!table.TryGet(room, out var entry) || entry.State != RoomJoinState.Joined || entry.Nick != nick || entry.Leaving)
            {
                return;
            }

            entry.StartRejoining();
            rejoining = new RoomStateChanged(journal.Tenant, journal.SessionId, 0, time.GetUtcNow(), room, RoomState.Rejoining, nick);
            join = RejoinToSend(entry);
        }

        Log.RoomDropped(logger, journal.Tenant, journal.SessionId);
        await journal.PublishAllAsync([rejoining], cancellationToken).ConfigureAwait(false);
        await connection.SendAsync(join, cancellationToken).ConfigureAwait(false);
    }

    private async Task SelfPingAsync(IXmppConnection connection, CancellationToken cancellationToken)
    {
        // No timer while the session is in no room: most sessions of a large pool never join one.
        while (true)
        {
            await table.InAnyRoomAsync(cancellationToken).ConfigureAwait(false);
            await Task.Delay(options.SelfPingInterval, time, cancellationToken).ConfigureAwait(false);
            try
            {
                await SelfPingOnceAsync(connection, cancellationToken).ConfigureAwait(false);
            }
            catch (XmppException) when (!connection.IsConnected)
            {
                return;
            }
        }
    }

    /// <summary>
    /// XEP-0045 §10.1.2: a room our entry created stays locked until its owner configures it; the gateway accepts the
    /// default configuration (an instant room), then the entry counts as done.
    /// </summary>
    private async Task ConfigureCreatedAsync(IXmppConnection connection, CancellationToken cancellationToken)
    {
        await foreach (var room in table.ToConfigureAsync(cancellationToken).ConfigureAwait(false))
        {
            Exception? failure = null;
            try
            {
                await connection.SendIqAsync(MucElements.InstantRoom(room), options.AnswerTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (XmppException ex)
            {
                failure = ex;
                Log.RoomConfigurationFailed(logger, journal.Tenant, journal.SessionId, ex.GetType().Name);
            }

            RoomStateChanged? joined = null;
            lock (table.Gate)
            {
                if (table.TryGet(room, out var entry) && entry.Created)
                {
                    entry.Created = false;
                    if (failure is null)
                    {
                        joined = new RoomStateChanged(journal.Tenant, journal.SessionId, 0, time.GetUtcNow(), entry.Room, RoomState.Joined, entry.Nick) { StatusCodes = entry.CreatedStatusCodes };
                        entry.Entered?.TrySetResult(entry.Info);
                    }
                    else
                    {
                        entry.Entered?.TrySetException(failure);
                    }

                    entry.Entered = null;
                }
            }

            if (joined is not null)
            {
                await journal.PublishAllAsync([joined], cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// The entry's join presence for the current stream: the history since the newest message seen (XEP-0045 §7.2.15);
    /// none asked before the first confirmation. Under the table's gate, for a presence about to be sent: the entry is
    /// marked asked back in (<see cref="RoomEntry.JoinSent"/>), so the room's error from now on answers this entry.
    /// </summary>
    private static Presence RejoinToSend(RoomEntry entry)
    {
        entry.JoinSent = true;
        return MucElements.JoinPresence(entry.Room, entry.Nick, entry.Password, entry.Confirmed ? new MucHistory(Since: entry.LastMessageAt) : null);
    }
}
