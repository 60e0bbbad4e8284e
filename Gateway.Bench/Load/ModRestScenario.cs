using System.Globalization;
using System.Net;
using System.Text;

namespace Gateway.Bench.Load;

/// <summary>
/// Scenario 2, the nearest peer: Prosody's mod_rest, <c>POST /rest/message/chat/&lt;receiver&gt;</c> with the sender's
/// HTTP Basic credentials and a text/plain body, at each concurrency; mod_rest answers 202 once the message is routed.
/// </summary>
internal sealed class ModRestScenario
{
    public const string Name = "modrest";
    private readonly LoadContext _context;

    public ModRestScenario(LoadContext context) => _context = context;

    public async Task<IReadOnlyList<PhaseResult>> RunAsync(CancellationToken cancellationToken)
    {
        if (_context.Prosody.HttpPort is not { } httpPort)
        {
            return _context.Options.Concurrency
                .Select(c => PhaseResult.NotRun(Name, $"c{c}", "n/a (mod_rest not found, see the set-up notes)", c))
                .ToList();
        }

        var accounts = await _context.Prosody.CreateAccountsAsync(2, "rest", cancellationToken);
        var (sender, receiverAccount) = (accounts[0], accounts[1]);
        await using var receiver = await XmppReceiver.ConnectAsync(_context.Prosody, receiverAccount, cancellationToken);
        var endpoint = new IPEndPoint(IPAddress.Loopback, httpPort);
        var credentials = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{sender.User}:{sender.Password}"));
        var results = new List<PhaseResult>();
        foreach (var concurrency in _context.Options.Concurrency)
        {
            var phase = _context.NextPhase();
            var template = RequestTemplate.Post(
                $"127.0.0.1:{httpPort.ToString(CultureInfo.InvariantCulture)}",
                $"/rest/message/chat/{receiver.Account.Bare}",
                "text/plain",
                MessageBody.Create(phase, 0, 0),
                [new("Authorization", "Basic " + credentials)]);
            var (timing, delivery) = await RestPhase.RunAsync(_context, endpoint, [template], receiver, phase, concurrency, cancellationToken);
            results.Add(new PhaseResult { Scenario = Name, Load = $"c{concurrency}", Concurrency = concurrency, Timing = timing, Delivery = delivery });
            LoadContext.Progress($"  {Name} c{concurrency}: {results[^1].DeliveredPerSecond:N0} delivered/s");
        }

        return results;
    }
}
