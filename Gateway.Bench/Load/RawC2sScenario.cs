namespace Gateway.Bench.Load;

/// <summary>
/// Scenario 1, the server's own ceiling: one raw XMPP stream sends chat messages to a receiver account as fast as
/// the receiver gets them (a window of messages in flight), no gateway involved. Twice: with a bare chat message (the
/// ceiling), then with the stanza the gateway sends for a tracked chat message (what the same content costs the server;
/// without the report requests under <c>--request-receipts false</c>).
/// </summary>
internal sealed class RawC2sScenario
{
    public const string Name = "raw";
    private readonly LoadContext _context;

    public RawC2sScenario(LoadContext context) => _context = context;

    public async Task<IReadOnlyList<PhaseResult>> RunAsync(CancellationToken cancellationToken)
    {
        var accounts = await _context.Prosody.CreateAccountsAsync(2, "raw", cancellationToken);
        await using var receiver = await XmppReceiver.ConnectAsync(_context.Prosody, accounts[1], cancellationToken);
        await using var sender = await RawXmppSender.ConnectAsync(_context.Prosody, accounts[0], cancellationToken);
        var pacing = new SendPacing(null, _context.Options.Window);
        var results = new List<PhaseResult>();
        var gateway = _context.Options.RequestReceipts ? MessageShape.Gateway : MessageShape.GatewayWithoutReports;
        foreach (var shape in new[] { MessageShape.Bare, gateway })
        {
            var window = new MeasurementWindow();
            var log = new DeliveryLog(_context.NextPhase());
            receiver.Track(log);
            var timing = await new PhaseRunner(_context).RunAsync(
                window, stop => sender.RunAsync(receiver.Account.Bare, log, pacing, stop, shape), () => log.InFlight, cancellationToken);
            var load = shape switch
            {
                MessageShape.Gateway => $"{pacing}, the gateway's stanza",
                MessageShape.GatewayWithoutReports => $"{pacing}, the gateway's stanza without report requests",
                _ => pacing.ToString(),
            };
            results.Add(new PhaseResult { Scenario = Name, Load = load, Timing = timing, Delivery = log.Summarize(window) });
        }

        return results;
    }
}
