// RFC 6121 §2.6: Roster Versioning
using System.Collections.Immutable;

namespace Gateway.Xmpp.Pool;

/// <summary>
/// The roster a session last knew, with its version: kept across connections so that a new stream (one that could not
/// resume) asks only for what changed (RFC 6121 §2.6) and the session can tell its application what changed while it
/// was offline. Thread-safe; pure (no I/O).
/// </summary>
internal sealed class RosterCache
{
    private readonly object _gate = new();
    private ImmutableDictionary<Jid, RosterItem>? _items;
    private string? _version;

    /// <summary>The version to send on a roster get: the cached one, or "" to bootstrap versioning (RFC 6121 §2.6.2).</summary>
    public string RequestVersion
    {
        get
        {
            lock (_gate)
            {
                return _items is null ? "" : _version ?? "";
            }
        }
    }

    /// <summary>The cached items; empty before the first roster.</summary>
    public ImmutableArray<RosterItem> Items
    {
        get
        {
            lock (_gate)
            {
                return _items is null ? [] : [.. _items.Values];
            }
        }
    }

    /// <summary>Whether <paramref name="bare"/> is in the cached roster.</summary>
    public bool Contains(Jid bare)
    {
        lock (_gate)
        {
            return _items?.ContainsKey(bare) == true;
        }
    }

    /// <summary>
    /// A whole roster arrived (a roster result with items): it replaces the cache. Returns what changed since the cached
    /// one, removed items as <see cref="RosterSubscription.Remove"/>; nothing for the first roster, which is the baseline.
    /// </summary>
    public ImmutableArray<RosterItem> Replace(Roster roster)
    {
        ArgumentNullException.ThrowIfNull(roster);
        var next = roster.Items.Where(i => i.Subscription != RosterSubscription.Remove)
            .GroupBy(i => i.Jid.Bare).ToImmutableDictionary(g => g.Key, g => g.Last());
        lock (_gate)
        {
            var previous = _items;
            _items = next;
            _version = roster.Version;
            if (previous is null)
            {
                return [];
            }

            var changes = ImmutableArray.CreateBuilder<RosterItem>();
            foreach (var (jid, item) in next)
            {
                if (!previous.TryGetValue(jid, out var known) || !Same(known, item))
                {
                    changes.Add(item);
                }
            }

            foreach (var (jid, known) in previous)
            {
                if (!next.ContainsKey(jid))
                {
                    changes.Add(new RosterItem(jid) { Subscription = RosterSubscription.Remove });
                }
            }

            return changes.ToImmutable();
        }
    }

    /// <summary>A roster push (RFC 6121 §2.1.6): one item changed or was removed; the push's 'ver' is the new version.</summary>
    public void Apply(RosterItem item, string? version)
    {
        ArgumentNullException.ThrowIfNull(item);
        lock (_gate)
        {
            var items = _items ?? ImmutableDictionary<Jid, RosterItem>.Empty;
            _items = item.Subscription == RosterSubscription.Remove ? items.Remove(item.Jid.Bare) : items.SetItem(item.Jid.Bare, item);
            if (version is not null)
            {
                _version = version;
            }
        }
    }

    private static bool Same(RosterItem a, RosterItem b) =>
        a.Subscription == b.Subscription
        && a.PendingOut == b.PendingOut
        && string.Equals(a.Name, b.Name, StringComparison.Ordinal)
        && a.Groups.Order(StringComparer.Ordinal).SequenceEqual(b.Groups.Order(StringComparer.Ordinal), StringComparer.Ordinal);
}
