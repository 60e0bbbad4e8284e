using System.Globalization;

namespace Gateway.Bench.Load;

/// <summary>
/// Scenario 6, hub fan-out: many SignalR connections subscribed to one session; a raw XMPP sender messages the
/// session's account at a fixed interval; per message, the latency to the last subscriber that got it.
/// </summary>
internal sealed class HubFanoutScenario
{
    public const string Name = "fanout";

    /// <summary>Subscribers connecting at once while setting up.</summary>
    private const int ConnectParallelism = 32;

    private readonly LoadContext _context;
    private FanoutLog? _log;

    public HubFanoutScenario(LoadContext context) => _context = context;

    public async Task<IReadOnlyList<PhaseResult>> RunAsync(CancellationToken cancellationToken)
    {
        var options = _context.Options;
        var gateway = _context.RequireGateway();
        var accounts = await _context.Prosody.CreateAccountsAsync(2, "fanout", cancellationToken);
        var (senderAccount, sessionAccount) = (accounts[0], accounts[1]);
        const string SessionId = "load-fanout";
        await _context.RequireApi().CreateSessionOrThrowAsync(SessionId, sessionAccount, cancellationToken);

        var subscribers = new IHubSubscriber[options.Subscribers];
        try
        {
            await Parallel.ForAsync(
                0,
                subscribers.Length,
                new ParallelOptions { MaxDegreeOfParallelism = ConnectParallelism, CancellationToken = cancellationToken },
                async (index, token) =>
                {
                    LoadMessageHandler onMessage = (phase, seq, sent, received) => OnMessage(index, phase, seq, sent, received);
                    subscribers[index] = options.FanoutOfficialClient
                        ? await HubSubscriber.ConnectAsync(gateway.BaseAddress, gateway.ApiKey, SessionId, onMessage, token)
                        : await RawHubSubscriber.ConnectAsync(gateway.BaseAddress, gateway.ApiKey, SessionId, onMessage, token);
                });
            LoadContext.Progress($"  {Name}: {subscribers.Length:N0} subscribers connected ({(options.FanoutOfficialClient ? "official" : "raw")} SignalR client)");

            await using var sender = await RawXmppSender.ConnectAsync(_context.Prosody, senderAccount, cancellationToken);
            var rate = 1 / options.FanoutInterval.TotalSeconds;
            var capacity = (int)((options.Warmup + options.Duration + TimeSpan.FromSeconds(10)).TotalSeconds * rate * 2) + 1000;
            var window = new MeasurementWindow();
            var phase = _context.NextPhase();
            var sent = new DeliveryLog(phase); // the sender's side: what was written; receipts go to the fan-out log
            var log = new FanoutLog(phase, subscribers.Length, capacity, window);
            Volatile.Write(ref _log, log);
            var timing = await new PhaseRunner(_context).RunAsync(
                window,
                stop => sender.RunAsync(sessionAccount.Bare, sent, new SendPacing(rate, null), stop),
                () => (sent.AcceptedCount * subscribers.Length) - log.Deliveries,
                cancellationToken);
            var closed = subscribers.Count(s => s.Closed);
            var load = $"{subscribers.Length:N0} subscribers, 1 msg / {options.FanoutInterval.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)} ms";
            return
            [
                new PhaseResult
                {
                    Scenario = Name,
                    Load = load,
                    Timing = timing,
                    Fanout = log.Summarize(sent.AcceptedCount),
                    GatewayInvolved = true,
                    Note = closed > 0 ? $"{closed} SignalR connections closed during the phase" : null,
                },
            ];
        }
        finally
        {
            await Parallel.ForEachAsync(
                subscribers.Where(s => s is not null),
                new ParallelOptions { MaxDegreeOfParallelism = ConnectParallelism },
                async (subscriber, _) => await subscriber.DisposeAsync());
        }
    }

    private void OnMessage(int subscriber, int phase, long seq, long sent, long received)
    {
        if (Volatile.Read(ref _log) is { } log && log.Phase == phase)
        {
            log.Record(subscriber, seq, sent, received);
        }
    }
}
