using Gateway.Api.Cluster.Events;

namespace Gateway.Api.Cluster;

/// <summary>The event side of the session's grain (<see cref="ISessionEventsGrain"/>): other nodes follow the session's events here.</summary>
internal sealed partial class SessionGrain : ISessionEventsGrain
{
    public async Task<SessionWatch> WatchAsync(IRemoteEventsObserver observer, string watcherSilo, TimeSpan lease)
    {
        ArgumentNullException.ThrowIfNull(observer);

        // As GetOwnerAsync: a stored session that runs nowhere is hosted here first; the key holds the caller's tenant,
        // so another tenant's session id finds nothing stored and is answered as unknown.
        var owner = await GetOwnerAsync();
        if (!owner.Hosted || pool.Find(_tenant, _sessionId) is not { } session)
        {
            return new SessionWatch(Hosted: false, owner.Silo, (int)Xmpp.Pool.SessionState.Stopped, 0);
        }

        // The watcher's own node runs it: its dispatcher has the events already.
        if (watcherSilo != owner.Silo)
        {
            doorbells.Watch(_tenant, _sessionId, observer, watcherSilo, lease);
        }

        var info = session.Info;
        return new SessionWatch(Hosted: true, owner.Silo, (int)info.State, info.LastEventId);
    }

    public Task UnwatchAsync(IRemoteEventsObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        doorbells.Unwatch(_tenant, _sessionId, observer);
        return Task.CompletedTask;
    }
}
