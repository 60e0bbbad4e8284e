namespace Gateway.Api.Cluster.Events;

/// <summary>
/// The event side of a session's grain (the same activation as its <see cref="ISessionGrain"/>, on the node that runs
/// the session): where another node registers to be rung when the session has new events.
/// </summary>
internal interface ISessionEventsGrain : IGrainWithStringKey
{
    /// <summary>
    /// Rings <paramref name="observer"/> for the session's new events for <paramref name="lease"/> (renewed by calling
    /// again), and answers where the session runs and its newest event id. Hosts the stored session first when it runs
    /// nowhere, as <see cref="ISessionGrain.GetOwnerAsync"/> does. Registers nothing when the session is not stored
    /// (<see cref="SessionWatch.Hosted"/> false) or runs on <paramref name="watcherSilo"/> itself.
    /// </summary>
    Task<SessionWatch> WatchAsync(IRemoteEventsObserver observer, string watcherSilo, TimeSpan lease);

    /// <summary>Stops ringing <paramref name="observer"/> for this session.</summary>
    Task UnwatchAsync(IRemoteEventsObserver observer);
}

/// <summary>The answer to <see cref="ISessionEventsGrain.WatchAsync"/>.</summary>
/// <param name="Hosted">Whether the session exists (and runs on <paramref name="OwnerSilo"/>).</param>
/// <param name="OwnerSilo">The owner's silo address (<c>SiloAddress.ToParsableString()</c>).</param>
/// <param name="State">The session's <see cref="Xmpp.Pool.SessionState"/>, as a number.</param>
/// <param name="LastEventId">The newest event id of the session on its owner.</param>
[GenerateSerializer]
[Immutable]
internal sealed record SessionWatch(
    [property: Id(0)] bool Hosted,
    [property: Id(1)] string OwnerSilo,
    [property: Id(2)] int State,
    [property: Id(3)] long LastEventId);
