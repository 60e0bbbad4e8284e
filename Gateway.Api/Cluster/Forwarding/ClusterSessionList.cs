using Gateway.Api.Contracts;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Persistence;

namespace Gateway.Api.Cluster.Forwarding;

/// <summary>
/// <c>GET /api/v1/sessions</c> on a clustered node: the tenant's sessions across the cluster. The shared store holds
/// every session of the cluster, so one read of it lists them all, whatever the number of nodes, with no call to any
/// other node (one node being slow or gone does not hold up the list). A session this node runs is listed with its
/// live state; any other with state <see cref="RemoteState"/> (it runs on another node, or is between nodes), its
/// creation time as <c>stateSince</c>: <c>GET /api/v1/sessions/{id}</c>, forwarded to its node, gives its live state.
/// </summary>
/// <remarks>
/// The store reads every tenant's rows (<see cref="ISessionStore.LoadAllAsync"/>, as each placement round does): for
/// 10,000 sessions that is one query of 10,000 small rows. Asking each node instead would give live states, but costs
/// a call to every node per list and an answer only as fast as the slowest.
/// </remarks>
internal sealed class ClusterSessionList(SessionPool local, ISessionStore store)
{
    /// <summary>The <c>state</c> of a session this node does not run.</summary>
    public const string RemoteState = "remote";

    public async Task<SessionDto[]> ListAsync(string tenant, CancellationToken cancellationToken)
    {
        var running = local.List(tenant).ToDictionary(s => s.Id, StringComparer.Ordinal);
        var stored = await store.LoadAllAsync(cancellationToken);
        var sessions = new Dictionary<string, SessionDto>(StringComparer.Ordinal);
        foreach (var session in stored)
        {
            if (session.Tenant == tenant)
            {
                sessions[session.Id] = running.TryGetValue(session.Id, out var info) ? SessionMapper.ToDto(info) : Remote(session);
            }
        }

        // Running here but not (or no longer) stored: a create finishing right now, or a removal.
        foreach (var info in running.Values)
        {
            sessions.TryAdd(info.Id, SessionMapper.ToDto(info));
        }

        return [.. sessions.Values.OrderBy(s => s.Id, StringComparer.Ordinal)];
    }

    private SessionDto Remote(StoredSession session) => new()
    {
        Id = session.Id,
        Jid = session.Spec.Jid.Bare.ToString(),
        State = RemoteState,
        StateSince = session.CreatedAt,
        CreatedAt = session.CreatedAt,
        Settings = SessionMapper.ToDto(SessionSettings.From(session.Spec, local.Options)),
    };
}
