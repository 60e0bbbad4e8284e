// RFC 6121 §8.5.3.1 (IQ to an unavailable resource), XEP-0184 §8 and XEP-0092 §5 (presence leaks)
using System.Collections.Immutable;

namespace Gateway.Xmpp.Session;

/// <summary>
/// Who may learn, by asking this resource, that the account is online: answers to disco#info, version and ping, and
/// delivery receipts, tell the asker that a resource is there. With <see cref="RespondTo.Subscribed"/> only the
/// account itself (its server, its own other resources) and the contacts allowed to see its presence (roster
/// subscription 'from' or 'both', RFC 6121 §2.1.2.5) qualify; the roster is learned from the roster results and
/// pushes the session receives, so before the first roster request only the account itself qualifies.
/// </summary>
internal sealed class PresenceAudience(Jid self, RespondTo policy)
{
    private readonly Jid _account = self.Bare;
    private ImmutableHashSet<Jid> _subscribers = [];

    /// <summary>The whole roster (a roster result): replaces what was known.</summary>
    public void Reset(IEnumerable<RosterItem> roster) =>
        Volatile.Write(ref _subscribers, [.. roster.Where(SeesPresence).Select(i => i.Jid.Bare)]);

    /// <summary>A roster push: one item changed or was removed.</summary>
    public void Apply(RosterItem item) =>
        ImmutableInterlocked.Update(ref _subscribers, static (set, item) => SeesPresence(item) ? set.Add(item.Jid.Bare) : set.Remove(item.Jid.Bare), item);

    /// <summary>Whether <paramref name="entity"/> (a stanza's 'from'; null is the account's own server) gets answers.</summary>
    public bool Admits(Jid? entity) =>
        policy == RespondTo.Anyone
        || entity is null
        || entity.Bare == _account
        || (entity.Local is null && string.Equals(entity.Domain, _account.Domain, StringComparison.Ordinal))
        || Volatile.Read(ref _subscribers).Contains(entity.Bare);

    private static bool SeesPresence(RosterItem item) => item.Subscription is RosterSubscription.From or RosterSubscription.Both;
}
