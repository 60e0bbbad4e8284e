// XEP-0045: Multi-User Chat (v1.35) https://xmpp.org/extensions/xep-0045.html
// XEP-0410: MUC Self-Ping (v1.1.0) https://xmpp.org/extensions/xep-0410.html
using System.Threading.Channels;
using Gateway.Xmpp.Client;
using Gateway.Xmpp.Diagnostics;
using Gateway.Xmpp.Muc;
using Gateway.Xmpp.Pool.Journal;
using Gateway.Xmpp.Pool.Persistence;
using Microsoft.Extensions.Logging;

namespace Gateway.Xmpp.Pool.Rooms;

/// <summary>How a <see cref="RoomManager"/> waits and checks.</summary>
/// <param name="AnswerTimeout">How long an entry, a reflection or a configuration may take.</param>
/// <param name="SelfPingInterval">How often each joined room is self-pinged (XEP-0410).</param>
/// <param name="MaxRooms">How many rooms a session may be in.</param>
internal sealed record RoomOptions(TimeSpan AnswerTimeout, TimeSpan SelfPingInterval, int MaxRooms = 100);

/// <summary>
/// A session's rooms (XEP-0045), across connections: the application's joins, leaves and messages; the rooms'
/// presence and groupchat messages (taken from the inbound pipeline, <see cref="TryHandleAsync"/>, and published as
/// room events); and the re-entering. RFC 6121 §4.6 and XEP-0045 §7.2: a room sees us as long as the stream that
/// entered it lives, so every new stream (not a resumed one, XEP-0198 §5) enters every room again, asking only for the
/// history after the newest message seen (§7.2.15) and dropping repeats by the room's stanza-id (XEP-0359). A room
/// can also drop us silently (a room restart): a XEP-0410 self-ping at <see cref="RoomOptions.SelfPingInterval"/>
/// finds that out and enters again. What the session is in is stored (<see cref="IRoomStore"/>) for a gateway restart.
/// </summary>
internal sealed partial class RoomManager : IRoomManager, IConnectionFeature
{
    private readonly object _gate = new();
    private readonly Dictionary<Jid, RoomEntry> _rooms = [];
    private readonly Dictionary<string, (Jid Room, TaskCompletionSource Done)> _sends = new(StringComparer.Ordinal);
    private readonly Channel<Jid> _toConfigure = Channel.CreateUnbounded<Jid>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IStanzaSender _sender;
    private readonly SessionJournal _journal;
    private readonly IRoomStore _store;
    private readonly RoomOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>1 from the start of a new stream until its rooms' entries are written (cf. <see cref="SessionPresence"/>).</summary>
    private int _rejoinPending;

    /// <summary>Completed when a room is added; the self-ping waits on it while the session is in no room. Guarded by <see cref="_gate"/>.</summary>
    private TaskCompletionSource _roomAdded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="sender">The session: sends go through its outbound queue, IQs over its connection.</param>
    /// <param name="journal">Where room events are published.</param>
    /// <param name="store">Where the rooms are kept for a gateway restart.</param>
    /// <param name="options">Timeouts and bounds.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">Where it logs (never a password).</param>
    public RoomManager(IStanzaSender sender, SessionJournal journal, IRoomStore store, RoomOptions options, TimeProvider time, ILogger logger)
    {
        _sender = sender;
        _journal = journal;
        _store = store;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>Adds a room (under <see cref="_gate"/>) and wakes the self-ping if it waited for one.</summary>
    private void Track(RoomEntry entry)
    {
        _rooms[entry.Room] = entry;
        _roomAdded.TrySetResult();
    }

    /// <summary>Completes once the session is in at least one room (at once when it is).</summary>
    private Task InAnyRoomAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
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
        lock (_gate)
        {
            return [.. _rooms.Values.Select(r => r.Info).OrderBy(r => r.Room.ToString(), StringComparer.Ordinal)];
        }
    }

    public RoomInfo? Find(Jid room)
    {
        ArgumentNullException.ThrowIfNull(room);
        lock (_gate)
        {
            return _rooms.TryGetValue(room.Bare, out var entry) ? entry.Info : null;
        }
    }

    public IReadOnlyList<RoomOccupant>? Occupants(Jid room)
    {
        ArgumentNullException.ThrowIfNull(room);
        lock (_gate)
        {
            return _rooms.TryGetValue(room.Bare, out var entry)
                ? [.. entry.Occupants.Values.OrderBy(o => o.Nick, StringComparer.Ordinal)]
                : null;
        }
    }

    /// <summary>Rooms a restored session was in (from the store): entered on its first connection.</summary>
    public void Restore(IEnumerable<StoredRoom> rooms)
    {
        lock (_gate)
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

                Track(entry);
            }
        }
    }

    public async Task<RoomInfo> JoinAsync(Jid room, string nick, string? password = null, MucHistory? history = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentException.ThrowIfNullOrEmpty(nick);
        room = room.Bare;
        TaskCompletionSource<RoomInfo> entered;
        Presence presence;
        lock (_gate)
        {
            if (_rooms.TryGetValue(room, out var entry))
            {
                if (entry.State == RoomJoinState.Joined && entry.Nick == nick && !entry.Leaving)
                {
                    return entry.Info;
                }

                entry.Leaving = false;
                entered = entry.Entered ??= NewWaiter<RoomInfo>();

                // XEP-0045 §7.6: in the room already, a presence to the new nick (without the MUC <x/>) changes nick.
                presence = entry.State == RoomJoinState.Joined
                    ? new Presence { To = room.WithResource(nick) }
                    : MucElements.JoinPresence(room, nick, password ?? entry.Password, history);
                if (entry.State != RoomJoinState.Joined)
                {
                    entry.Nick = nick;
                    entry.Password = password ?? entry.Password;
                }
            }
            else
            {
                if (_rooms.Count >= _options.MaxRooms)
                {
                    throw new RoomLimitException(_options.MaxRooms);
                }

                entry = new RoomEntry(room, nick, password) { Entered = NewWaiter<RoomInfo>() };
                entered = entry.Entered;
                Track(entry);
                presence = MucElements.JoinPresence(room, nick, password, history);
            }
        }

        try
        {
            await _sender.SendAsync(presence, cancellationToken).ConfigureAwait(false);
            var info = await entered.Task.WaitAsync(_options.AnswerTimeout, _time, cancellationToken).ConfigureAwait(false);
            await PersistAsync(room).ConfigureAwait(false);
            return info;
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException or XmppException and not StanzaErrorException)
        {
            // Not confirmed: the session is not left half in a room the caller was told it did not enter.
            await AbandonAsync(room, entered).ConfigureAwait(false);
            if (ex is TimeoutException)
            {
                throw new XmppTimeoutException($"Entering room {room}", _options.AnswerTimeout);
            }

            throw;
        }
    }

    public async Task<bool> LeaveAsync(Jid room, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(room);
        room = room.Bare;
        TaskCompletionSource? exited = null;
        string nick;
        lock (_gate)
        {
            if (!_rooms.TryGetValue(room, out var entry))
            {
                return false;
            }

            nick = entry.Nick;
            entry.Leaving = true;
            if (entry.State == RoomJoinState.Joined)
            {
                exited = entry.Exited ??= NewWaiter();
            }
            else
            {
                // Not in the room (yet): nothing to wait for; the unavailable presence makes sure of it.
                _rooms.Remove(room);
                entry.Entered?.TrySetException(new RoomNotJoinedException(room, state: null));
            }
        }

        await _sender.SendAsync(MucElements.LeavePresence(room, nick), cancellationToken).ConfigureAwait(false);
        if (exited is not null)
        {
            try
            {
                await exited.Task.WaitAsync(_options.AnswerTimeout, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // The room did not confirm (XEP-0045 §7.14 says it does): the session forgets the room anyway.
                lock (_gate)
                {
                    _rooms.Remove(room);
                }
            }
        }

        await ForgetAsync(room).ConfigureAwait(false);
        return true;
    }

    public async Task<string> SendAsync(Jid room, Message message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentNullException.ThrowIfNull(message);
        room = room.Bare;
        var id = StanzaId.New();
        var reflected = NewWaiter();
        lock (_gate)
        {
            RequireJoined(room);
            _sends[id] = (room, reflected);
        }

        try
        {
            // XEP-0045 §7.4: the room reflects the message to every occupant, us included, keeping its id (and origin-id).
            await _sender.SendAsync(message with { To = room, Type = MessageType.Groupchat, Id = id }, cancellationToken).ConfigureAwait(false);
            await reflected.Task.WaitAsync(_options.AnswerTimeout, _time, cancellationToken).ConfigureAwait(false);
            return id;
        }
        catch (TimeoutException)
        {
            throw new XmppTimeoutException($"Waiting for room {room} to reflect message {id}", _options.AnswerTimeout);
        }
        finally
        {
            lock (_gate)
            {
                _sends.Remove(id);
            }
        }
    }

    public async Task SetSubjectAsync(Jid room, string subject, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentNullException.ThrowIfNull(subject);
        room = room.Bare;
        var id = StanzaId.New();
        var announced = NewWaiter();
        (string, TaskCompletionSource) change = (subject, announced);
        RoomEntry entry;
        lock (_gate)
        {
            entry = RequireJoined(room);
            entry.SubjectChanges.Add(change);

            // A refusal comes back as a message error with our id (XEP-0045 §8.1).
            _sends[id] = (room, announced);
        }

        try
        {
            await _sender.SendAsync(MucElements.Subject(room, subject) with { Id = id }, cancellationToken).ConfigureAwait(false);
            await announced.Task.WaitAsync(_options.AnswerTimeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new XmppTimeoutException($"Waiting for room {room} to announce the new subject", _options.AnswerTimeout);
        }
        finally
        {
            lock (_gate)
            {
                _sends.Remove(id);
                entry.SubjectChanges.Remove(change);
            }
        }
    }

    public async Task<string> InviteAsync(Jid room, Jid invitee, string? reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentNullException.ThrowIfNull(invitee);
        room = room.Bare;
        string? password;
        lock (_gate)
        {
            password = RequireJoined(room).Password;
        }

        // XEP-0249 §2: the invitation carries the password, so the invitee can enter a protected room.
        var invitation = MucElements.Invitation(invitee, room, password, reason) with { Id = StanzaId.New() };
        await _sender.SendAsync(invitation, cancellationToken).ConfigureAwait(false);
        return invitation.Id!;
    }

    public async Task<string> SendPrivateAsync(Jid room, string nick, Message message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentException.ThrowIfNullOrEmpty(nick);
        ArgumentNullException.ThrowIfNull(message);
        room = room.Bare;
        lock (_gate)
        {
            RequireJoined(room);
        }

        // XEP-0045 §7.5: a private message is type chat to the occupant JID, marked with the muc#user <x/>.
        var id = StanzaId.New();
        var payload = message.Payload.Any(p => p.Name == MucElements.User) ? message.Payload : message.Payload.Add(new System.Xml.Linq.XElement(MucElements.User));
        await _sender.SendAsync(message with { To = room.WithResource(nick), Type = MessageType.Chat, Id = id, Payload = payload }, cancellationToken).ConfigureAwait(false);
        return id;
    }

    public async Task SetRoleAsync(Jid room, string nick, MucRole role, string? reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentException.ThrowIfNullOrEmpty(nick);
        lock (_gate)
        {
            RequireJoined(room.Bare);
        }

        await _sender.SendIqAsync(MucElements.SetRole(room, nick, role, reason), _options.AnswerTimeout, cancellationToken).ConfigureAwait(false);
    }

    public async Task SetAffiliationAsync(Jid room, Jid user, MucAffiliation affiliation, string? reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentNullException.ThrowIfNull(user);
        lock (_gate)
        {
            RequireJoined(room.Bare);
        }

        await _sender.SendIqAsync(MucElements.SetAffiliation(room, user, affiliation, reason), _options.AnswerTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sees every stanza the application sends (before it is queued): a presence with the MUC &lt;x/&gt; enters a
    /// room (so it is entered again on a new stream), an unavailable one to a room leaves it. True for a presence to a
    /// room, which is therefore no directed presence for <see cref="SessionPresence"/> to repeat.
    /// </summary>
    public bool Sent(Stanza stanza)
    {
        if (stanza is not Presence { To: { } to } presence)
        {
            return false;
        }

        lock (_gate)
        {
            var known = _rooms.TryGetValue(to.Bare, out var entry);
            if (MucElements.IsJoin(presence, out var password))
            {
                if (!known && _rooms.Count < _options.MaxRooms)
                {
                    Track(new RoomEntry(to.Bare, to.Resource!, password));
                }
                else if (known && entry!.State != RoomJoinState.Joined)
                {
                    entry.Nick = to.Resource!;
                    entry.Password = password ?? entry.Password;
                    entry.Leaving = false;
                }

                return true;
            }

            if (!known)
            {
                return false;
            }

            if (presence.Type == PresenceType.Unavailable)
            {
                entry!.Leaving = true;
            }

            return true;
        }
    }

    private RoomEntry RequireJoined(Jid room)
    {
        if (!_rooms.TryGetValue(room, out var entry) || entry.Leaving)
        {
            throw new RoomNotJoinedException(room, state: null);
        }

        return entry.State == RoomJoinState.Joined ? entry : throw new RoomNotJoinedException(room, entry.State);
    }

    /// <summary>An entry nobody got confirmed: forgotten, and left in case the room answers after all.</summary>
    private async Task AbandonAsync(Jid room, TaskCompletionSource<RoomInfo> entered)
    {
        string? nick = null;
        lock (_gate)
        {
            if (_rooms.TryGetValue(room, out var entry) && entry.Entered == entered && !entry.Confirmed)
            {
                _rooms.Remove(room);
                nick = entry.Nick;
            }
        }

        if (nick is not null)
        {
            try
            {
                await _sender.SendAsync(MucElements.LeavePresence(room, nick), CancellationToken.None).ConfigureAwait(false);
            }
            catch (XmppException)
            {
                // The session cannot send now: its next stream does not enter the room anyway.
            }
        }
    }

    private async ValueTask PublishAsync(List<SessionEvent>? events, CancellationToken cancellationToken)
    {
        foreach (var sessionEvent in events ?? [])
        {
            await _journal.WaitForCapacityAsync(cancellationToken).ConfigureAwait(false);
            _journal.Publish(sessionEvent, reserved: true);
        }
    }

    private static TaskCompletionSource NewWaiter() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static TaskCompletionSource<T> NewWaiter<T>() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
