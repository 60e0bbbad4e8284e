namespace Gateway.Api.Cluster.Events;

/// <summary>
/// A node that has subscribers (hub, event streams) for sessions that run on other nodes: the owners ring it when those
/// sessions have new events. One per node (<see cref="RemoteEventFeed"/>), passed to the owner through
/// <see cref="ISessionEventsGrain.WatchAsync"/>.
/// </summary>
/// <remarks>
/// A ring is a doorbell, not the events: the journal in the shared store has them (the pool journals every event
/// before it hands it out), and the ringed node reads them from there. So a ring carries only the newest id per
/// session, rings coalesce, and one that is lost costs latency (until the next ring or refresh), never an event.
/// </remarks>
internal interface IRemoteEventsObserver : IGrainObserver
{
    /// <summary>The sessions in <paramref name="bells"/> have journaled events up to the ids given.</summary>
    Task RingAsync(IReadOnlyList<SessionDoorbell> bells);
}

/// <summary>One session's doorbell: it has journaled events up to <paramref name="LastEventId"/>.</summary>
[GenerateSerializer]
[Immutable]
internal sealed record SessionDoorbell(
    [property: Id(0)] string Tenant,
    [property: Id(1)] string SessionId,
    [property: Id(2)] long LastEventId);
