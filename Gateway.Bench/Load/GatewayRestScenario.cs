using System.Globalization;

namespace Gateway.Bench.Load;

/// <summary>
/// Scenario 3: <c>POST /api/v1/sessions/{id}/messages</c> through one gateway session at each concurrency, either
/// answered once the message is stored and queued (default) or once the server acknowledged it (<c>?wait=server</c>).
/// Each mode has its own session and receiver.
/// </summary>
internal sealed class GatewayRestScenario
{
    public const string QueuedName = "rest";
    public const string WaitName = "rest-wait";
    private readonly LoadContext _context;
    private readonly bool _waitForServer;

    public GatewayRestScenario(LoadContext context, bool waitForServer)
    {
        _context = context;
        _waitForServer = waitForServer;
    }

    private string Name => _waitForServer ? WaitName : QueuedName;

    public async Task<IReadOnlyList<PhaseResult>> RunAsync(CancellationToken cancellationToken)
    {
        var gateway = _context.RequireGateway();
        var accounts = await _context.Prosody.CreateAccountsAsync(2, _waitForServer ? "gwwait" : "gwrest", cancellationToken);
        var sessionId = _waitForServer ? "load-rest-wait" : "load-rest";
        await _context.RequireApi().CreateSessionOrThrowAsync(sessionId, accounts[0], cancellationToken);
        await using var receiver = await XmppReceiver.ConnectAsync(_context.Prosody, accounts[1], cancellationToken);
        var results = new List<PhaseResult>();
        foreach (var concurrency in _context.Options.Concurrency)
        {
            var phase = _context.NextPhase();
            var body = GatewayMessageJson.Create(receiver.Account.Bare, MessageBody.Create(phase, 0, 0), _context.Options.RequestReceipts);
            var template = RequestTemplate.Post(
                $"127.0.0.1:{gateway.Endpoint.Port.ToString(CultureInfo.InvariantCulture)}",
                $"/api/v1/sessions/{sessionId}/messages" + (_waitForServer ? "?wait=server" : ""),
                "application/json",
                body,
                [new("X-Api-Key", gateway.ApiKey)]);
            var (timing, delivery) = await RestPhase.RunAsync(_context, gateway.Endpoint, [template], receiver, phase, concurrency, cancellationToken);
            results.Add(new PhaseResult
            {
                Scenario = Name,
                Load = $"c{concurrency}",
                Concurrency = concurrency,
                Timing = timing,
                Delivery = delivery,
                GatewayInvolved = true,
            });
            LoadContext.Progress($"  {Name} c{concurrency}: {results[^1].DeliveredPerSecond:N0} delivered/s");
        }

        return results;
    }
}
