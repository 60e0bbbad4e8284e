using System.Collections.Concurrent;

namespace Gateway.Api.Cluster;

/// <summary>
/// The session grains whose sessions this node runs, by grain key: what a drain moves (<see cref="SessionDrainService"/>),
/// and how it learns that each has left.
/// </summary>
internal sealed class HostedSessionGrains
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _hosted = new(StringComparer.Ordinal);

    /// <summary>The keys hosted now.</summary>
    public IReadOnlyList<string> Keys => [.. _hosted.Keys];

    public void Hosting(string key) =>
        _hosted.TryAdd(key, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public void Left(string key)
    {
        if (_hosted.TryRemove(key, out var left))
        {
            left.TrySetResult();
        }
    }

    /// <summary>Completes when the grain no longer runs its session here (at once when it does not).</summary>
    public Task LeftAsync(string key) => _hosted.TryGetValue(key, out var hosted) ? hosted.Task : Task.CompletedTask;
}
