using Microsoft.Extensions.Options;

namespace Gateway.Api.Cluster.Forwarding;

/// <summary>Asks a session's grain where the session runs (<see cref="ISessionGrain.GetOwnerAsync"/>), within a time limit.</summary>
internal sealed class SessionOwnerLocator(IGrainFactory grains, ILocalSiloDetails silo, IOptions<ClusterForwardingOptions> options, ILogger<SessionOwnerLocator> logger)
{
    /// <summary>This node's silo, as <see cref="SessionOwner.Silo"/> names it.</summary>
    public string LocalSilo => silo.SiloAddress.ToParsableString();

    /// <summary>
    /// The owner, or null when the grain did not answer in time or failed (a node that died and is not yet declared
    /// dead, the store being unreachable): the caller answers 503, the client retries.
    /// </summary>
    public async Task<SessionOwner?> FindAsync(string tenant, string sessionId, CancellationToken cancellationToken)
    {
        try
        {
            var grain = grains.GetGrain<ISessionGrain>(SessionGrainKey.Format(tenant, sessionId));
            return await grain.GetOwnerAsync().WaitAsync(options.Value.LookupTimeout, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Any failure of the lookup means the same to the caller: where the session runs is not known right now.
            ForwardingLog.LookupFailed(logger, tenant, sessionId, ex.GetType().Name);
            return null;
        }
    }
}
