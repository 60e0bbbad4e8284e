using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Cluster.Forwarding;

/// <summary>
/// Where sessions that this node forwarded calls for recently run: a burst of calls for one session asks its grain once,
/// not once per call. Bounded in time (<see cref="ClusterForwardingOptions.OwnerCacheTtl"/>, from when the grain said
/// so) and size (<see cref="ClusterForwardingOptions.OwnerCacheSize"/> sessions; when full of live entries a new owner
/// is simply not kept), safe for concurrent callers. Holds only owners on other nodes with an HTTP address; an entry is
/// dropped as soon as using it failed (<see cref="Forget(string, string, SessionOwner)"/>: the owner could not be reached, gave no answer, or
/// answered 503 because the session is not there any more), so the next call asks the grain again.
/// </summary>
internal sealed class SessionOwnerCache
{
    private readonly ExpiringCache<Key, SessionOwner> _owners;
    private readonly TimeSpan _ttl;

    public SessionOwnerCache(IOptions<ClusterForwardingOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _ttl = options.Value.OwnerCacheTtl;
        _owners = new ExpiringCache<Key, SessionOwner>(Math.Max(0, options.Value.OwnerCacheSize), _ttl / 4, time);
    }

    /// <summary>How many owners are held now (expired ones included until they are next looked at or swept).</summary>
    public int Count => _owners.Count;

    /// <summary>The owner the grain named within the time limit, if it is still held.</summary>
    public bool TryGet(string tenant, string sessionId, [NotNullWhen(true)] out SessionOwner? owner) =>
        _owners.TryGet(new Key(tenant, sessionId), out owner);

    /// <summary>Keeps what the grain just said, unless caching is off or the cache is full of live entries.</summary>
    public void Remember(string tenant, string sessionId, SessionOwner owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        _owners.Set(new Key(tenant, sessionId), owner, _ttl);
    }

    /// <summary>
    /// Drops the session's entry if it still names <paramref name="owner"/> (an entry another call just refreshed
    /// from the grain stays). True if one was dropped.
    /// </summary>
    public bool Forget(string tenant, string sessionId, SessionOwner owner) => _owners.Forget(new Key(tenant, sessionId), owner);

    /// <summary>Drops the session's entry, whatever it names (the session is being removed). True if one was dropped.</summary>
    public bool Forget(string tenant, string sessionId) => _owners.Forget(new Key(tenant, sessionId));

    private readonly record struct Key(string Tenant, string SessionId);
}
