// XEP-0045: Multi-User Chat (v1.35) §7.2-§7.6, §8, §9, §10.9
using Gateway.Xmpp.Diagnostics;
using Gateway.Xmpp.Muc;
using Gateway.Xmpp.Pool.Journal;
using Microsoft.Extensions.Logging;

namespace Gateway.Xmpp.Pool.Rooms;

/// <summary>
/// What the rooms the session is in send (XEP-0045), taken from the inbound pipeline in stream order: room presence
/// becomes the table's occupants and room state, groupchat messages become room events (repeats dropped by the room's
/// stanza-id, XEP-0359), our own reflections and the room's errors settle what we sent, and self-presence completes
/// entries. A room our entry created is handed to <see cref="RoomsFeature"/> to be configured before it counts as joined.
/// </summary>
/// <param name="table">The session's rooms.</param>
/// <param name="persistence">Where entered and left rooms are stored.</param>
/// <param name="journal">Where room events are published.</param>
/// <param name="time">The clock.</param>
/// <param name="logger">Where it logs (never a password).</param>
internal sealed class RoomInboundHandler(RoomTable table, RoomPersistence persistence, SessionJournal journal, TimeProvider time, ILogger logger)
{
    /// <summary>
    /// Takes what a room the session is in sends: its presence and groupchat messages become room events; a message
    /// error only settles what we sent and goes on (false) to be published as any message error. Anything from
    /// elsewhere — a room we are not in included — is not ours (false): a stranger cannot make itself a room by
    /// sending room-shaped stanzas.
    /// </summary>
    public async ValueTask<bool> TryHandleAsync(Stanza stanza, CancellationToken cancellationToken)
    {
        if (stanza is not (Presence or Message) || stanza.From is not { } from)
        {
            return false;
        }

        List<SessionEvent>? events = null;
        var store = StoreAction.None;
        bool taken;
        lock (table.Gate)
        {
            if (!table.TryGet(from.Bare, out var entry))
            {
                return false;
            }

            taken = stanza switch
            {
                Presence presence => OnPresence(entry, presence, ref events, ref store),
                Message message => OnMessage(entry, message, ref events),
                _ => false,
            };
        }

        await journal.PublishAllAsync(events, cancellationToken).ConfigureAwait(false);
        if (store == StoreAction.Save)
        {
            await persistence.PersistAsync(from.Bare).ConfigureAwait(false);
        }
        else if (store == StoreAction.Delete)
        {
            await persistence.ForgetAsync(from.Bare).ConfigureAwait(false);
        }

        return taken;
    }

    /// <summary>Under <see cref="RoomTable.Gate"/>.</summary>
    private bool OnPresence(RoomEntry entry, Presence presence, ref List<SessionEvent>? events, ref StoreAction store)
    {
        var now = time.GetUtcNow();
        if (presence.Type == PresenceType.Error)
        {
            var error = presence.Error ?? StanzaError.Of(StanzaErrorCondition.UndefinedCondition);
            if (entry.State == RoomJoinState.Rejoining && !entry.JoinSent && entry.Entered is null)
            {
                // Out of the room and not asked back in on this stream: the error cannot refuse an entry. Seen when
                // a server stops: the room removes us (333), then refuses the unavailable presence our server sends
                // it for us as the stream closes. The membership stays; the next entry's answer decides.
                Log.RoomErrorWhileOut(logger, journal.Tenant, journal.SessionId, error.ConditionName);
                return true;
            }

            var waiter = entry.Entered;
            entry.Entered = null;
            waiter?.TrySetException(new StanzaErrorException(error));
            if (entry.State == RoomJoinState.Joined)
            {
                // A refused nick change (XEP-0045 §7.6: conflict) leaves us in the room under the old nick.
                return true;
            }

            table.Remove(entry.Room);
            if (entry.Confirmed || waiter is null)
            {
                // Nobody asked and waits (a rejoin, a raw join): the application learns it from the event.
                (events ??= []).Add(new RoomStateChanged(journal.Tenant, journal.SessionId, 0, now, entry.Room, RoomState.JoinFailed, entry.Nick)
                {
                    ErrorCondition = error.ConditionName,
                    Reason = error.Text,
                });
                store = entry.Confirmed ? StoreAction.Delete : StoreAction.None;
                Log.RoomRejoinRefused(logger, journal.Tenant, journal.SessionId, error.ConditionName);
            }

            return true;
        }

        if (!MucElements.TryParseOccupant(presence, out var occupant))
        {
            // From the room, but not about an occupant: nothing to report, and nothing for the presence stream.
            return true;
        }

        var self = occupant!.IsSelf || (occupant.Nick == entry.Nick && occupant.Has(MucStatus.NickChanged) && presence.Type == PresenceType.Unavailable);
        if (self)
        {
            OnSelfPresence(entry, occupant, now, ref events, ref store);
        }
        else
        {
            OnOccupantPresence(entry, occupant, now, ref events);
        }

        return true;
    }

    private void OnSelfPresence(RoomEntry entry, MucOccupantPresence self, DateTimeOffset now, ref List<SessionEvent>? events, ref StoreAction store)
    {
        if (!self.Available)
        {
            if (self.Has(MucStatus.NickChanged) && self.NewNick is { Length: > 0 } newNick)
            {
                // XEP-0045 §7.6: our nick changed; the presence under the new one follows.
                entry.Occupants.Remove(entry.Nick);
                entry.Nick = newNick;
                return;
            }

            if (!entry.Leaving && !self.Destroyed && self.StatusCodes.All(code => code is MucStatus.Self or MucStatus.NonAnonymous or MucStatus.Logging or MucStatus.RemovedShutdown or MucStatus.RemovedTechnical))
            {
                // Out without asking to leave, and not thrown out: our broadcast unavailable presence took us out (RFC
                // 6121 §4.6.3: a graceful stop, or the application's own), the service is shutting down (332), or an
                // error came back from our JID (333: our server bounced what the room sent while our stream closed,
                // or the resource was away). We stay a member: the next new stream (or the gateway after a restart)
                // enters again; after a 333, so does the next self-ping round on a stream that stays up (after our
                // own unavailable presence, the application chose to be out until the next stream).
                if (entry.State == RoomJoinState.Joined)
                {
                    entry.StartRejoining();
                    entry.RemovedByError = self.Has(MucStatus.RemovedTechnical);
                    (events ??= []).Add(new RoomStateChanged(journal.Tenant, journal.SessionId, 0, now, entry.Room, RoomState.Rejoining, entry.Nick) { StatusCodes = self.StatusCodes });
                }

                return;
            }

            var state = self.Destroyed ? RoomState.Destroyed
                : self.Has(MucStatus.Banned) ? RoomState.Banned
                : self.Has(MucStatus.Kicked) ? RoomState.Kicked
                : self.Has(MucStatus.RemovedByAffiliation) || self.Has(MucStatus.RemovedMembersOnly) ? RoomState.Removed
                : RoomState.Left;
            table.Remove(entry.Room);
            entry.Exited?.TrySetResult();
            entry.Entered?.TrySetException(new RoomNotJoinedException(entry.Room, state: null));
            foreach (var (_, done) in entry.SubjectChanges)
            {
                done.TrySetException(new RoomNotJoinedException(entry.Room, state: null));
            }

            (events ??= []).Add(new RoomStateChanged(journal.Tenant, journal.SessionId, 0, now, entry.Room, state, entry.Nick)
            {
                Reason = self.Reason,
                StatusCodes = self.StatusCodes,
            });
            store = StoreAction.Delete;
            return;
        }

        // XEP-0045 §7.2.3 (status 210: the room assigned or changed our nick). We are no occupant who left meanwhile.
        entry.Before?.Remove(entry.Nick);
        entry.Before?.Remove(self.Nick);
        entry.Nick = self.Nick;
        entry.Role = self.Role;
        entry.Affiliation = self.Affiliation;
        entry.Occupants[self.Nick] = new RoomOccupant(self.Nick, self.RealJid, self.Role, self.Affiliation);
        if (entry.State != RoomJoinState.Joined)
        {
            entry.State = RoomJoinState.Joined;
            entry.Confirmed = true;
            entry.LastMessageAt ??= now;
            entry.Dirty = true;

            // Back in after a new stream: whoever was there before and is not any more has left meanwhile.
            foreach (var gone in entry.Before?.Values ?? Enumerable.Empty<RoomOccupant>())
            {
                (events ??= []).Add(new RoomOccupantChanged(journal.Tenant, journal.SessionId, 0, now, entry.Room, RoomOccupantChange.Left, gone, []));
            }

            entry.Before = null;
            if (!self.Has(MucStatus.Created))
            {
                (events ??= []).Add(new RoomStateChanged(journal.Tenant, journal.SessionId, 0, now, entry.Room, RoomState.Joined, entry.Nick) { StatusCodes = self.StatusCodes });
            }

            store = StoreAction.Save;
        }

        if (self.Has(MucStatus.Created))
        {
            // XEP-0045 §10.1.1: the room is ours and locked until configured; the entry is done, and reported joined,
            // once it is (a room still locked is one nobody else can enter, and one a server restart does not keep).
            entry.Created = true;
            entry.CreatedStatusCodes = self.StatusCodes;
            table.QueueConfiguration(entry.Room);
            return;
        }

        if (!entry.Created)
        {
            entry.Entered?.TrySetResult(entry.Info);
            entry.Entered = null;
        }
    }

    private void OnOccupantPresence(RoomEntry entry, MucOccupantPresence presence, DateTimeOffset now, ref List<SessionEvent>? events)
    {
        // On a first entry the room lists who is there (§7.2.3); they are in the occupant list, not reported one by one.
        var report = entry.State != RoomJoinState.Joining;
        var occupant = new RoomOccupant(presence.Nick, presence.RealJid, presence.Role, presence.Affiliation);
        if (!presence.Available)
        {
            entry.Occupants.Remove(presence.Nick);
            entry.Before?.Remove(presence.Nick);
            if (presence.Has(MucStatus.NickChanged) && presence.NewNick is { Length: > 0 } newNick)
            {
                // §7.6: the presence under the new nick follows; known now, it is no new arrival.
                entry.Occupants[newNick] = occupant with { Nick = newNick };
                Add(ref events, RoomOccupantChange.NickChanged, newNick);
            }
            else
            {
                Add(ref events, RoomOccupantChange.Left, newNick: null);
            }

            return;
        }

        RoomOccupant? known = entry.Occupants.TryGetValue(presence.Nick, out var current) ? current
            : entry.Before is { } before && before.Remove(presence.Nick, out var earlier) ? earlier
            : null;
        entry.Occupants[presence.Nick] = occupant;
        if (known is null)
        {
            Add(ref events, RoomOccupantChange.Joined, newNick: null);
        }
        else if (known.Role != occupant.Role || known.Affiliation != occupant.Affiliation)
        {
            Add(ref events, RoomOccupantChange.RoleChanged, newNick: null);
        }

        void Add(ref List<SessionEvent>? events, RoomOccupantChange change, string? newNick)
        {
            if (report)
            {
                (events ??= []).Add(new RoomOccupantChanged(journal.Tenant, journal.SessionId, 0, now, entry.Room, change, occupant, presence.StatusCodes)
                {
                    NewNick = newNick,
                    Reason = presence.Reason,
                });
            }
        }
    }

    private bool OnMessage(RoomEntry entry, Message message, ref List<SessionEvent>? events)
    {
        if (message.Type == MessageType.Error)
        {
            // XEP-0045 §7.4, §8.1: the room refuses a message with a message error carrying its id.
            if (message.Id is { } id && table.TryGetSend(id, entry.Room, out var refused))
            {
                refused.TrySetException(new StanzaErrorException(message.Error ?? StanzaError.Of(StanzaErrorCondition.UndefinedCondition)));
            }

            return false;
        }

        if (message.Type != MessageType.Groupchat)
        {
            // Private messages (§7.5), invitations and declines are the session's ordinary messages.
            return false;
        }

        var now = time.GetUtcNow();
        var nick = message.From!.Resource;
        if (message is { Subject: { } subject, Body: null })
        {
            // §8.1 (and §7.2.16 on entering): the subject. Told again on re-entering: reported only when it changed.
            var changed = entry.Subject != subject || entry.State == RoomJoinState.Joining;
            entry.Subject = subject;
            if (nick == entry.Nick)
            {
                foreach (var (expected, done) in entry.SubjectChanges)
                {
                    if (expected == subject)
                    {
                        done.TrySetResult();
                    }
                }
            }

            if (changed)
            {
                (events ??= []).Add(new RoomSubjectChanged(journal.Tenant, journal.SessionId, 0, now, entry.Room, subject, nick));
            }

            return true;
        }

        if (nick is not null && nick == entry.Nick)
        {
            // §7.4: our own message, reflected: it went through.
            if ((message.Id is { } id && table.TryGetSend(id, entry.Room, out var sent))
                || (MucElements.OriginId(message) is { } origin && table.TryGetSend(origin, entry.Room, out sent)))
            {
                sent.TrySetResult();
            }
        }

        // XEP-0359 §3 / XEP-0045 §7.2.15: history after re-entering may repeat what we had; the room's stanza-id says.
        if (MucElements.RoomStanzaId(message, entry.Room) is { } stanzaId && !entry.Remember(stanzaId))
        {
            return true;
        }

        var sentAt = MucElements.DelayStamp(message) ?? now;
        if (entry.LastMessageAt is not { } last || sentAt > last)
        {
            entry.LastMessageAt = sentAt;
        }

        entry.Dirty = true;
        (events ??= []).Add(new RoomMessageReceived(journal.Tenant, journal.SessionId, 0, now, message));
        return true;
    }

    private enum StoreAction
    {
        None,
        Save,
        Delete,
    }
}
