// XEP-0045: Multi-User Chat (v1.35) https://xmpp.org/extensions/xep-0045.html
using Gateway.Xmpp.Client;
using Gateway.Xmpp.Muc;
using Gateway.Xmpp.Pool.Persistence;

namespace Gateway.Xmpp.Pool.Rooms;

/// <summary>
/// A session's rooms (XEP-0045) as the application sees them: joins, leaves, messages, subjects, invitations and
/// moderation, each answered once the room did (its self-presence, its reflection, its announcement). The rooms
/// themselves are the <see cref="RoomTable"/>; what they send completes the waits here through
/// <see cref="RoomInboundHandler"/>, and <see cref="RoomsFeature"/> enters them again on every new stream. What the
/// session is in is stored (<see cref="IRoomStore"/>, through <see cref="RoomPersistence"/>) for a gateway restart.
/// </summary>
/// <param name="table">The session's rooms.</param>
/// <param name="sender">The session: sends go through its outbound queue, IQs over its connection.</param>
/// <param name="persistence">Where entered and left rooms are stored.</param>
/// <param name="options">Timeouts and bounds.</param>
/// <param name="time">The clock.</param>
internal sealed class RoomManager(RoomTable table, IStanzaSender sender, RoomPersistence persistence, RoomOptions options, TimeProvider time) : IRoomManager
{
    public IReadOnlyList<RoomInfo> List() => table.List();

    public RoomInfo? Find(Jid room) => table.Find(room);

    public IReadOnlyList<RoomOccupant>? Occupants(Jid room) => table.Occupants(room);

    public async Task<RoomInfo> JoinAsync(Jid room, string nick, string? password = null, MucHistory? history = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentException.ThrowIfNullOrEmpty(nick);
        room = room.Bare;
        TaskCompletionSource<RoomInfo> entered;
        Presence presence;
        lock (table.Gate)
        {
            if (table.TryGet(room, out var entry))
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
                if (table.Count >= options.MaxRooms)
                {
                    throw new RoomLimitException(options.MaxRooms);
                }

                entry = new RoomEntry(room, nick, password) { Entered = NewWaiter<RoomInfo>() };
                entered = entry.Entered;
                table.Add(entry);
                presence = MucElements.JoinPresence(room, nick, password, history);
            }
        }

        try
        {
            await sender.SendAsync(presence, cancellationToken).ConfigureAwait(false);
            var info = await entered.Task.WaitAsync(options.AnswerTimeout, time, cancellationToken).ConfigureAwait(false);
            await persistence.PersistAsync(room).ConfigureAwait(false);
            return info;
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException or XmppException and not StanzaErrorException)
        {
            // Not confirmed: the session is not left half in a room the caller was told it did not enter.
            await AbandonAsync(room, entered).ConfigureAwait(false);
            if (ex is TimeoutException)
            {
                throw new XmppTimeoutException($"Entering room {room}", options.AnswerTimeout);
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
        lock (table.Gate)
        {
            if (!table.TryGet(room, out var entry))
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
                table.Remove(room);
                entry.Entered?.TrySetException(new RoomNotJoinedException(room, state: null));
            }
        }

        await sender.SendAsync(MucElements.LeavePresence(room, nick), cancellationToken).ConfigureAwait(false);
        if (exited is not null)
        {
            try
            {
                await exited.Task.WaitAsync(options.AnswerTimeout, time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // The room did not confirm (XEP-0045 §7.14 says it does): the session forgets the room anyway.
                lock (table.Gate)
                {
                    table.Remove(room);
                }
            }
        }

        await persistence.ForgetAsync(room).ConfigureAwait(false);
        return true;
    }

    public async Task<string> SendAsync(Jid room, Message message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentNullException.ThrowIfNull(message);
        room = room.Bare;
        var id = StanzaId.New();
        var reflected = NewWaiter();
        lock (table.Gate)
        {
            table.RequireJoined(room);
            table.AddSend(id, room, reflected);
        }

        try
        {
            // XEP-0045 §7.4: the room reflects the message to every occupant, us included, keeping its id (and origin-id).
            await sender.SendAsync(message with { To = room, Type = MessageType.Groupchat, Id = id }, cancellationToken).ConfigureAwait(false);
            await reflected.Task.WaitAsync(options.AnswerTimeout, time, cancellationToken).ConfigureAwait(false);
            return id;
        }
        catch (TimeoutException)
        {
            throw new XmppTimeoutException($"Waiting for room {room} to reflect message {id}", options.AnswerTimeout);
        }
        finally
        {
            lock (table.Gate)
            {
                table.RemoveSend(id);
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
        lock (table.Gate)
        {
            entry = table.RequireJoined(room);
            entry.SubjectChanges.Add(change);

            // A refusal comes back as a message error with our id (XEP-0045 §8.1).
            table.AddSend(id, room, announced);
        }

        try
        {
            await sender.SendAsync(MucElements.Subject(room, subject) with { Id = id }, cancellationToken).ConfigureAwait(false);
            await announced.Task.WaitAsync(options.AnswerTimeout, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new XmppTimeoutException($"Waiting for room {room} to announce the new subject", options.AnswerTimeout);
        }
        finally
        {
            lock (table.Gate)
            {
                table.RemoveSend(id);
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
        lock (table.Gate)
        {
            password = table.RequireJoined(room).Password;
        }

        // XEP-0249 §2: the invitation carries the password, so the invitee can enter a protected room.
        var invitation = MucElements.Invitation(invitee, room, password, reason) with { Id = StanzaId.New() };
        await sender.SendAsync(invitation, cancellationToken).ConfigureAwait(false);
        return invitation.Id!;
    }

    public async Task<string> SendPrivateAsync(Jid room, string nick, Message message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentException.ThrowIfNullOrEmpty(nick);
        ArgumentNullException.ThrowIfNull(message);
        room = room.Bare;
        lock (table.Gate)
        {
            table.RequireJoined(room);
        }

        // XEP-0045 §7.5: a private message is type chat to the occupant JID, marked with the muc#user <x/>.
        var id = StanzaId.New();
        var payload = message.Payload.Any(p => p.Name == MucElements.User) ? message.Payload : message.Payload.Add(new System.Xml.Linq.XElement(MucElements.User));
        await sender.SendAsync(message with { To = room.WithResource(nick), Type = MessageType.Chat, Id = id, Payload = payload }, cancellationToken).ConfigureAwait(false);
        return id;
    }

    public async Task SetRoleAsync(Jid room, string nick, MucRole role, string? reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentException.ThrowIfNullOrEmpty(nick);
        lock (table.Gate)
        {
            table.RequireJoined(room.Bare);
        }

        await sender.SendIqAsync(MucElements.SetRole(room, nick, role, reason), options.AnswerTimeout, cancellationToken).ConfigureAwait(false);
    }

    public async Task SetAffiliationAsync(Jid room, Jid user, MucAffiliation affiliation, string? reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentNullException.ThrowIfNull(user);
        lock (table.Gate)
        {
            table.RequireJoined(room.Bare);
        }

        await sender.SendIqAsync(MucElements.SetAffiliation(room, user, affiliation, reason), options.AnswerTimeout, cancellationToken).ConfigureAwait(false);
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

        lock (table.Gate)
        {
            var known = table.TryGet(to.Bare, out var entry);
            if (MucElements.IsJoin(presence, out var password))
            {
                if (!known && table.Count < options.MaxRooms)
                {
                    table.Add(new RoomEntry(to.Bare, to.Resource!, password));
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

    /// <summary>An entry nobody got confirmed: forgotten, and left in case the room answers after all.</summary>
    private async Task AbandonAsync(Jid room, TaskCompletionSource<RoomInfo> entered)
    {
        string? nick = null;
        lock (table.Gate)
        {
            if (table.TryGet(room, out var entry) && entry.Entered == entered && !entry.Confirmed)
            {
                table.Remove(room);
                nick = entry.Nick;
            }
        }

        if (nick is not null)
        {
            try
            {
                await sender.SendAsync(MucElements.LeavePresence(room, nick), CancellationToken.None).ConfigureAwait(false);
            }
            catch (XmppException)
            {
                // The session cannot send now: its next stream does not enter the room anyway.
            }
        }
    }

    private static TaskCompletionSource NewWaiter() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static TaskCompletionSource<T> NewWaiter<T>() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
