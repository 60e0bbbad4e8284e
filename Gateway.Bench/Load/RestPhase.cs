using System.Net;

namespace Gateway.Bench.Load;

/// <summary>One counted phase of closed-loop HTTP sends whose messages an <see cref="XmppReceiver"/> counts.</summary>
internal static class RestPhase
{
    /// <param name="context">The run (or cluster) context: its meters and phase timing.</param>
    /// <param name="endpoint">Where the HTTP connections go.</param>
    /// <param name="templates">Connection <c>i</c> sends <paramref name="templates"/>[i % count].</param>
    /// <param name="receiver">Counts what arrives; it tracks the phase from now on.</param>
    /// <param name="phase">The phase number the templates' bodies carry.</param>
    /// <param name="concurrency">HTTP connections.</param>
    /// <param name="cancellationToken">Aborts the run.</param>
    public static Task<(PhaseTiming Timing, DeliverySummary Delivery)> RunAsync(
        LoadContext context, IPEndPoint endpoint, IReadOnlyList<RequestTemplate> templates, XmppReceiver receiver, int phase, int concurrency, CancellationToken cancellationToken) =>
        RunAsync(context, new HttpLoadClient(endpoint, templates), receiver, phase, concurrency, cancellationToken);

    /// <summary>The same with a client of the caller's making (e.g. one endpoint per connection).</summary>
    public static async Task<(PhaseTiming Timing, DeliverySummary Delivery)> RunAsync(
        LoadContext context, HttpLoadClient client, XmppReceiver receiver, int phase, int concurrency, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(receiver);
        var window = new MeasurementWindow();
        var log = new DeliveryLog(phase);
        receiver.Track(log);
        var timing = await new PhaseRunner(context).RunAsync(
            window, stop => client.RunAsync(concurrency, log, window, stop), () => log.InFlight, cancellationToken);
        return (timing, log.Summarize(window));
    }
}
