// RFC 6121 §4.4 (presence probes and broadcasts after initial presence), §4.5.1 (unavailable), §4.7 (syntax)
using System.Collections.Immutable;
using Gateway.Xmpp.Client;

namespace Gateway.Xmpp.Pool;

/// <summary>
/// The presence a session has seen from its contacts and its own account's other resources, per full JID. Only
/// contacts in the roster and the account itself count: presence from anyone else (directed presence from strangers,
/// room occupants) is ignored, so nobody outside the roster can grow this table. Bounded: at most
/// <paramref name="maxContacts"/> contacts with <paramref name="maxResources"/> resources each (the oldest update goes).
/// A new stream that could not resume starts empty: after initial presence the server probes the contacts and sends
/// their current presence again (RFC 6121 §4.4.2, §4.4.3), and what was learnt before may be stale. A resumed stream
/// keeps it: the server sends what changed meanwhile (XEP-0198 §5).
/// </summary>
/// <param name="account">The account's bare JID.</param>
/// <param name="isContact">Whether a bare JID is in the roster.</param>
/// <param name="time">The clock.</param>
/// <param name="maxContacts">Most contacts tracked.</param>
/// <param name="maxResources">Most resources tracked per contact.</param>
internal sealed class PresenceTracker(Jid account, Func<Jid, bool> isContact, TimeProvider time, int maxContacts = 10_000, int maxResources = 16) : IConnectionFeature
{
    private readonly Jid _account = account.Bare;
    private readonly object _gate = new();
    private readonly Dictionary<Jid, Entry> _entries = [];

    public ValueTask OnConnectedAsync(ConnectionContext context, CancellationToken cancellationToken)
    {
        if (!context.Resumed)
        {
            Clear();
        }

        return ValueTask.CompletedTask;
    }

    public void Clear()
    {
        lock (_gate)
        {
            _entries.Clear();
        }
    }

    /// <summary>A presence the session received; anything but availability from the account or a contact is ignored.</summary>
    public void Observe(Presence presence)
    {
        ArgumentNullException.ThrowIfNull(presence);
        if (presence.From is not { } from || presence.Type is not (PresenceType.Available or PresenceType.Unavailable or PresenceType.Error))
        {
            return;
        }

        var bare = from.Bare;
        if (bare != _account && !isContact(bare))
        {
            return;
        }

        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (!_entries.TryGetValue(bare, out var entry))
            {
                if (_entries.Count >= maxContacts)
                {
                    return;
                }

                entry = _entries[bare] = new Entry();
            }

            var resource = from.Resource ?? "";
            if (presence.Type == PresenceType.Available)
            {
                if (!entry.Resources.ContainsKey(resource) && entry.Resources.Count >= maxResources)
                {
                    entry.Resources.Remove(entry.Resources.MinBy(r => r.Value.UpdatedAt).Key);
                }

                entry.Resources[resource] = new ResourcePresence(from, presence.Show, presence.Status, presence.Priority ?? 0, now);
                return;
            }

            // RFC 6121 §4.5.1: unavailable from a full JID ends that resource; from the bare JID (or a presence error,
            // §4.7.1: the contact cannot be reached) every resource of the contact.
            if (from.Resource is null || presence.Type == PresenceType.Error)
            {
                entry.Resources.Clear();
            }
            else
            {
                entry.Resources.Remove(resource);
            }

            if (entry.Resources.Count == 0)
            {
                entry.UnavailableSince = now;
                entry.UnavailableStatus = presence.Type == PresenceType.Unavailable ? presence.Status : null;
            }
        }
    }

    /// <summary>The account and every contact of <paramref name="roster"/>, in roster order; contacts never seen are unavailable.</summary>
    public PresenceSnapshot Snapshot(IEnumerable<RosterItem> roster)
    {
        ArgumentNullException.ThrowIfNull(roster);
        lock (_gate)
        {
            var contacts = roster.Where(i => i.Subscription != RosterSubscription.Remove && i.Jid.Bare != _account)
                .Select(i => Describe(i.Jid.Bare))
                .OrderBy(c => c.Jid.ToString(), StringComparer.Ordinal)
                .ToImmutableArray();

            // Contacts that left the roster are forgotten here, so the table holds no more than the roster.
            var listed = contacts.Select(c => c.Jid).ToHashSet();
            foreach (var gone in _entries.Keys.Where(j => j != _account && !listed.Contains(j)).ToList())
            {
                _entries.Remove(gone);
            }

            return new PresenceSnapshot(Describe(_account), contacts);
        }
    }

    private ContactPresence Describe(Jid bare) =>
        _entries.TryGetValue(bare, out var entry)
            ? new ContactPresence(
                bare,
                [.. entry.Resources.Values.OrderByDescending(r => r.Priority).ThenByDescending(r => r.UpdatedAt)],
                entry.Resources.Count == 0 ? entry.UnavailableSince : null,
                entry.Resources.Count == 0 ? entry.UnavailableStatus : null)
            : new ContactPresence(bare, [], null, null);

    private sealed class Entry
    {
        public Dictionary<string, ResourcePresence> Resources { get; } = new(StringComparer.Ordinal);

        public DateTimeOffset? UnavailableSince { get; set; }

        public string? UnavailableStatus { get; set; }
    }
}
