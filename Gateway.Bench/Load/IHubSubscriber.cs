namespace Gateway.Bench.Load;

/// <summary>A hub connection subscribed to one session (official client or raw protocol).</summary>
internal interface IHubSubscriber : IAsyncDisposable
{
    /// <summary>Whether the connection closed by itself (not through disposal).</summary>
    bool Closed { get; }
}
