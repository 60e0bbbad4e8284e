using Gateway.Api.Webhooks;
using Gateway.Xmpp.Pool;

namespace Gateway.Api.Cluster.Events;

/// <summary>
/// In a cluster, a session's webhooks are delivered by the node that runs it: its dispatcher sees the events first, and
/// single activation of the session's grain makes it one node at a time (the delivery log in the store has no claim of
/// its own, so two nodes working one session's line could both deliver its head).
/// </summary>
internal sealed class LocalSessionOwnership(SessionPool local) : IWebhookSessionOwnership
{
    public bool DeliversHere(string tenant, string sessionId) => local.Find(tenant, sessionId) is not null;
}
