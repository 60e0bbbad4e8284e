using System.Diagnostics;

namespace Gateway.Api.Cluster;

/// <summary>
/// Drains the node on a graceful shutdown: before the silo stops, every session it runs moves to another active node
/// with its XMPP stream (<see cref="ISessionGrain.DrainToAsync"/>: the grain migrates, the stream is dropped without
/// being closed and resumed there, XEP-0198 §5), instead of being released and logged in anew at some node's next
/// placement round. Targets are the other active nodes, in turn. What has not moved within <see cref="DrainTimeout"/>
/// (or when no other node is active) is released with the silo as before.
/// </summary>
/// <remarks>
/// Registered after <c>UseOrleans</c>: hosted services stop in reverse order, so this runs while the silo is still up.
/// </remarks>
internal sealed class SessionDrainService(
    IGrainFactory grains,
    IClusterMembershipService membership,
    ILocalSiloDetails silo,
    HostedSessionGrains hosted,
    ILogger<SessionDrainService> logger) : IHostedService
{
    /// <summary>How long a drain waits for the sessions to leave: well within the host's default 30 s shutdown.</summary>
    internal static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(20);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Once: the test host stops its services twice, and a second drain would only find the sessions gone.</summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return _drain ??= DrainAsync(cancellationToken);
        }
    }

    private readonly object _gate = new();
    private Task<int>? _drain;

    /// <summary>Moves every session this node runs to the other active nodes; returns how many left.</summary>
    internal async Task<int> DrainAsync(CancellationToken cancellationToken)
    {
        var keys = hosted.Keys;
        if (keys.Count == 0)
        {
            return 0;
        }

        var targets = membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active && !m.SiloAddress.Equals(silo.SiloAddress))
            .Select(m => m.SiloAddress.ToParsableString())
            .Order(StringComparer.Ordinal)
            .ToArray();
        if (targets.Length == 0)
        {
            ClusterLog.DrainNoTarget(logger, keys.Count);
            return 0;
        }

        ClusterLog.DrainStarted(logger, keys.Count, targets.Length);
        var started = Stopwatch.GetTimestamp();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(DrainTimeout);
        var moved = 0;
        try
        {
            await Parallel.ForEachAsync(
                keys.Select((key, i) => (Key: key, Target: targets[i % targets.Length])),
                new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = timeout.Token },
                async (move, token) =>
                {
                    try
                    {
                        var grain = grains.GetGrain<ISessionGrain>(move.Key);
                        if (await grain.DrainToAsync(move.Target).WaitAsync(token))
                        {
                            // Left here; then asked where it runs, which the old activation forwards to the new one
                            // once the migration is through, so the silo does not stop with a migration under way.
                            await hosted.LeftAsync(move.Key).WaitAsync(token);
                            if ((await grain.GetOwnerAsync().WaitAsync(token)).Silo == move.Target)
                            {
                                Interlocked.Increment(ref moved);
                            }
                        }
                    }
                    catch (Exception ex) when (ex is OrleansException or TimeoutException)
                    {
                        var (tenant, sessionId) = SessionGrainKey.TryParse(move.Key, out var t, out var s) ? (t, s) : ("?", move.Key);
                        ClusterLog.DrainFailed(logger, tenant, sessionId, ex.GetType().Name);
                    }
                });
        }
        catch (OperationCanceledException)
        {
            // Out of time (or the host's stop gave up): what is still here is released with the silo.
        }

        ClusterLog.DrainFinished(logger, moved, keys.Count, Stopwatch.GetElapsedTime(started));
        return moved;
    }
}
