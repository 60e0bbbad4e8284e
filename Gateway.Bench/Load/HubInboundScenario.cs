using System.Globalization;

namespace Gateway.Bench.Load;

/// <summary>
/// Scenario 5, inbound: a raw XMPP sender messages a gateway session's account, as fast as possible and at fixed
/// rates; one SignalR client subscribed to the session counts what arrives through the hub.
/// </summary>
internal sealed class HubInboundScenario
{
    public const string Name = "inbound";

    /// <summary>At a fixed rate, the sender stops getting ahead of the receiver by more than this many seconds of messages.</summary>
    private const double MaxBacklogSeconds = 5;

    private readonly LoadContext _context;
    private readonly DeliveryLog?[] _phases = new DeliveryLog?[MessageBody.MaxPhase + 1];

    public HubInboundScenario(LoadContext context) => _context = context;

    public async Task<IReadOnlyList<PhaseResult>> RunAsync(CancellationToken cancellationToken)
    {
        var gateway = _context.RequireGateway();
        var accounts = await _context.Prosody.CreateAccountsAsync(2, "inbound", cancellationToken);
        var (senderAccount, sessionAccount) = (accounts[0], accounts[1]);
        const string SessionId = "load-inbound";
        await _context.RequireApi().CreateSessionOrThrowAsync(SessionId, sessionAccount, cancellationToken);
        await using var subscriber = await HubSubscriber.ConnectAsync(gateway.BaseAddress, gateway.ApiKey, SessionId, OnMessage, cancellationToken);
        await using var sender = await RawXmppSender.ConnectAsync(_context.Prosody, senderAccount, cancellationToken);
        var results = new List<PhaseResult>();
        foreach (var rate in _context.Options.InboundRates)
        {
            var pacing = rate is { } perSecond
                ? new SendPacing(perSecond, (int)Math.Max(_context.Options.Window, perSecond * MaxBacklogSeconds))
                : new SendPacing(null, _context.Options.Window);
            var window = new MeasurementWindow();
            var log = new DeliveryLog(_context.NextPhase());
            Volatile.Write(ref _phases[log.Phase], log);
            var timing = await new PhaseRunner(_context).RunAsync(
                window, stop => sender.RunAsync(sessionAccount.Bare, log, pacing, stop), () => log.InFlight, cancellationToken);
            var load = rate is { } r ? r.ToString("N0", CultureInfo.InvariantCulture) + "/s" : pacing.ToString();
            results.Add(new PhaseResult
            {
                Scenario = Name,
                Load = load,
                Timing = timing,
                Delivery = log.Summarize(window),
                GatewayInvolved = true,
                Note = subscriber.Closed ? "the SignalR connection closed during the phase" : null,
            });
            LoadContext.Progress($"  {Name} {load}: {results[^1].DeliveredPerSecond:N0} delivered/s");
        }

        return results;
    }

    private void OnMessage(int phase, long seq, long sent, long received) => Volatile.Read(ref _phases[phase])?.Receive(seq, sent, received);
}
