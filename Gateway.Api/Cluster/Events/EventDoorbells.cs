using System.Collections.Concurrent;
using System.Collections.Immutable;
using Gateway.Api.Events;
using Gateway.Xmpp.Pool;

namespace Gateway.Api.Cluster.Events;

/// <summary>
/// The owner's side of cross-node events: which other nodes follow which of the sessions this node runs (registered
/// through the session's grain, <see cref="ISessionEventsGrain.WatchAsync"/>, for a lease), and, as an
/// <see cref="ISessionEventObserver"/> on the dispatcher's loop, a ring to each of them for every event of those
/// sessions, coalesced per node (<see cref="DoorbellLink"/>).
/// </summary>
/// <remarks>
/// The loop pays one dictionary lookup per event, and nothing else for the sessions no other node follows. A
/// follower whose lease ran out (it stopped renewing: no subscribers left, or it died) is dropped at its session's next
/// event; a node whose ring failed is dropped at once, from every session.
/// </remarks>
internal sealed class EventDoorbells(TimeProvider time, ILogger<EventDoorbells> logger) : ISessionEventObserver, IAsyncDisposable
{
    /// <summary>How long one ring may take before the node counts as gone (it registers again when it is not).</summary>
    internal static readonly TimeSpan RingTimeout = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<(string Tenant, string SessionId), Followers> _bySession = new();
    private readonly ConcurrentDictionary<GrainId, DoorbellLink> _links = new();
    private readonly Lock _gate = new();
    private int _count;

    /// <summary>How many sessions have remote followers (tests).</summary>
    internal int FollowedSessions => _bySession.Count;

    /// <summary>Rings <paramref name="observer"/> for the session's events until <paramref name="lease"/> from now (renewed by calling again).</summary>
    public void Watch(string tenant, string sessionId, IRemoteEventsObserver observer, string node, TimeSpan lease)
    {
        // A link whose ring failed is replaced: the node is back (it renews only while it lives).
        var link = _links.AddOrUpdate(
            observer.GetGrainId(),
            _ => NewLink(),
            (_, existing) => existing.IsFailed ? NewLink() : existing);
        var until = time.GetUtcNow() + lease;
        lock (_gate)
        {
            if (!_bySession.TryGetValue((tenant, sessionId), out var followers))
            {
                _bySession[(tenant, sessionId)] = followers = new Followers();
                Volatile.Write(ref _count, _bySession.Count);
            }

            followers.Entries = followers.Entries.RemoveAll(f => f.Link == link || f.Link.IsFailed).Add(new Follower(link, until));
        }

        ClusterEventsLog.Watched(logger, node, tenant, sessionId);

        DoorbellLink NewLink() => new(node, bells => Send(observer, bells), Failed);
    }

    /// <summary>Stops ringing <paramref name="observer"/> for the session.</summary>
    public void Unwatch(string tenant, string sessionId, IRemoteEventsObserver observer)
    {
        if (!_links.TryGetValue(observer.GetGrainId(), out var link))
        {
            return;
        }

        lock (_gate)
        {
            RemoveLocked((tenant, sessionId), f => f.Link == link);
        }
    }

    /// <inheritdoc/>
    public void OnEvent(SessionEvent e)
    {
        // A counter, not IsEmpty (which takes every lock of the dictionary when it is empty): most nodes follow nothing.
        if (Volatile.Read(ref _count) == 0 || !_bySession.TryGetValue((e.Tenant, e.SessionId), out var followers))
        {
            return;
        }

        var now = time.GetUtcNow();
        var expired = false;
        foreach (var follower in followers.Entries)
        {
            if (follower.Until < now)
            {
                expired = true;
                continue;
            }

            follower.Link.Ring(e.Tenant, e.SessionId, e.EventId);
        }

        if (expired)
        {
            lock (_gate)
            {
                RemoveLocked((e.Tenant, e.SessionId), f => f.Until < now);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Each call is bounded by RingTimeout: what is under way finishes, or fails, before the silo goes.
        await Task.WhenAll(_links.Values.Select(l => l.Sending));
    }

    private static async Task Send(IRemoteEventsObserver observer, IReadOnlyList<SessionDoorbell> bells) =>
        await observer.RingAsync(bells).WaitAsync(RingTimeout);

    private void Failed(DoorbellLink link, int count, Exception exception)
    {
        ClusterEventsLog.RingFailed(logger, link.Node, count, exception);
        foreach (var (id, candidate) in _links)
        {
            if (candidate == link)
            {
                _links.TryRemove(KeyValuePair.Create(id, candidate));
            }
        }

        lock (_gate)
        {
            foreach (var key in _bySession.Keys)
            {
                RemoveLocked(key, f => f.Link == link);
            }
        }
    }

    private void RemoveLocked((string Tenant, string SessionId) key, Predicate<Follower> match)
    {
        if (!_bySession.TryGetValue(key, out var followers))
        {
            return;
        }

        followers.Entries = followers.Entries.RemoveAll(match);
        if (followers.Entries.IsEmpty)
        {
            _bySession.TryRemove(KeyValuePair.Create(key, followers));
            Volatile.Write(ref _count, _bySession.Count);
        }
    }

    /// <summary>One session's followers: replaced whole under the lock, read without it.</summary>
    private sealed class Followers
    {
        // One reference inside: read whole, never torn.
        public ImmutableArray<Follower> Entries = [];
    }

    private readonly record struct Follower(DoorbellLink Link, DateTimeOffset Until);
}
