namespace Gateway.Api.Webhooks;

/// <summary>
/// Which sessions' webhooks this node delivers. Registered only in a cluster, where each node delivers the webhooks of
/// the sessions it runs (docs/scale-out.md, "Cross-node events"); without it (a single gateway) every session's are.
/// </summary>
internal interface IWebhookSessionOwnership
{
    /// <summary>Whether this node delivers the session's webhooks now. Cheap and non-blocking: asked before every attempt.</summary>
    bool DeliversHere(string tenant, string sessionId);
}
