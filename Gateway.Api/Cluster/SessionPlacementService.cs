using Gateway.Xmpp.Pool.Persistence;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Cluster;

/// <summary>
/// Makes the cluster run every stored session: at start and then every <see cref="GatewayClusterOptions.PlacementInterval"/>
/// it asks the grain of each stored session where it runs. A grain active somewhere answers; one active nowhere (a new
/// cluster, or its node died) is activated, here or where Orleans places it, and hosts the session there. Single
/// activation makes it one node per session however many nodes ask.
/// </summary>
internal sealed class SessionPlacementService(
    IGrainFactory grains,
    ISessionStore store,
    IOptions<GatewayClusterOptions> options,
    SiloEndpoints endpoints,
    TimeProvider timeProvider,
    ILogger<SessionPlacementService> logger) : BackgroundService
{
    /// <summary>Grain calls of one round under way at once: enough to place thousands of sessions quickly, few enough not to flood the silo.</summary>
    private const int Parallelism = 16;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.PlacementInterval;
        ClusterLog.SiloConfigured(logger, endpoints.Mode, options.Value.ClusterId, options.Value.ServiceId, endpoints.Address, endpoints.SiloPort, endpoints.GatewayPort);
        using var timer = new PeriodicTimer(interval, timeProvider);
        do
        {
            try
            {
                await PlaceAllAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The store or the cluster is unavailable for now; the next round tries again.
                ClusterLog.PlacementRoundFailed(logger, interval, ex);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    /// <summary>One round; returns how many stored sessions run somewhere in the cluster.</summary>
    internal async Task<int> PlaceAllAsync(CancellationToken cancellationToken)
    {
        var sessions = await store.LoadAllAsync(cancellationToken);
        var hosted = 0;
        var failed = 0;
        await Parallel.ForEachAsync(
            sessions,
            new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
            async (session, _) =>
            {
                try
                {
                    var owner = await grains.GetGrain<ISessionGrain>(SessionGrainKey.Format(session.Tenant, session.Id)).GetOwnerAsync();
                    if (owner.Hosted)
                    {
                        Interlocked.Increment(ref hosted);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Typically the call went to a node that just died; the directory forgets it and the next round places it.
                    Interlocked.Increment(ref failed);
                    ClusterLog.PlacementFailed(logger, session.Tenant, session.Id, ex.GetType().Name);
                }
            });
        ClusterLog.PlacementRound(logger, sessions.Count, hosted, failed);
        return hosted;
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
