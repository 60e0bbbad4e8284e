using System.Collections.Frozen;
using Gateway.Xmpp.Pool.Persistence;

namespace Gateway.Api.Cluster;

/// <summary>
/// The stored sessions as this node's last placement round read them, so that the activations that round causes here
/// find their session without reading the store once more each (the store's own lookup may read every session).
/// A miss falls back to the store.
/// </summary>
internal sealed class StoredSessionCatalog
{
    private volatile FrozenDictionary<(string Tenant, string Id), StoredSession> _sessions = FrozenDictionary<(string, string), StoredSession>.Empty;

    public void Replace(IReadOnlyList<StoredSession> sessions) =>
        _sessions = sessions.DistinctBy(s => (s.Tenant, s.Id)).ToFrozenDictionary(s => (s.Tenant, s.Id));

    public StoredSession? Find(string tenant, string sessionId) => _sessions.GetValueOrDefault((tenant, sessionId));
}
