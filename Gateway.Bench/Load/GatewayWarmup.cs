using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Gateway.Tests.Integration.Prosody;

namespace Gateway.Bench.Load;

/// <summary>
/// The gateway's one-time warm-up, right after it started, not measured. A fresh .NET process runs its code as
/// unoptimised tier-0 code first; a method called 30 times (counted once no new method has been compiled for 100 ms)
/// is compiled again with instrumentation and then optimised (tier 1) on a background thread, and long loops switch
/// over through OSR. Measured from a cold start, the first gateway phases measured that: ten seconds in, the
/// background compiler still had 22% of the gateway's CPU samples, and the first REST row cost about 395 µs of
/// gateway CPU per message. So every hot gateway path is driven in turn, for an equal share of the time: REST single
/// sends, queued and <c>?wait=server</c>, at 1, 16 and 64 connections; batches; the SignalR inbound path (a raw XMPP
/// sender to a session with a hub subscriber) as fast as possible and at a fixed rate; message-status GETs; session
/// creates and deletes (a login each: what the scale scenario and a restart with many sessions run). It uses
/// the scenarios' own clients, on sessions and accounts of its own, with messages of phase 0 (no measured phase has
/// it), and returns only once everything it sent has arrived.
/// </summary>
internal sealed class GatewayWarmup
{
    private const string RestSessionId = "load-warmup";
    private const string InboundSessionId = "load-warmup-inbound";
    private const int Phase = 0;
    private const double PacedRate = 1_000;
    private const int StatusConnections = 4;

    /// <summary>Session creates in flight in the login step, each loop logging in with its own accounts in turn.</summary>
    private const int LoginConcurrency = 16;
    private const int AccountsPerLoginLoop = 4;
    private static readonly int[] Connections = [1, 16, 64];
    private readonly LoadContext _context;

    public GatewayWarmup(LoadContext context) => _context = context;

    public async Task<GatewayWarmupResult> RunAsync(CancellationToken cancellationToken)
    {
        var options = _context.Options;
        var gateway = _context.RequireGateway();
        var api = _context.RequireApi();
        var accounts = await _context.Prosody.CreateAccountsAsync(4, "warmup", cancellationToken);
        var (restAccount, receiverAccount, inboundAccount, senderAccount) = (accounts[0], accounts[1], accounts[2], accounts[3]);
        await api.CreateSessionOrThrowAsync(RestSessionId, restAccount, cancellationToken);
        await api.CreateSessionOrThrowAsync(InboundSessionId, inboundAccount, cancellationToken);
        var outbound = new DeliveryLog(Phase);
        var inbound = new DeliveryLog(Phase);
        await using var receiver = await XmppReceiver.ConnectAsync(_context.Prosody, receiverAccount, cancellationToken);
        receiver.Track(outbound);
        await using var subscriber = await HubSubscriber.ConnectAsync(
            gateway.BaseAddress,
            gateway.ApiKey,
            InboundSessionId,
            (phase, seq, sent, received) =>
            {
                if (phase == Phase)
                {
                    inbound.Receive(seq, sent, received);
                }
            },
            cancellationToken);
        await using var sender = await RawXmppSender.ConnectAsync(_context.Prosody, senderAccount, cancellationToken);
        var statusPath = await SendOneAsync(receiverAccount.Bare, outbound, cancellationToken);

        var window = new MeasurementWindow(); // never opened: nothing of the warm-up is counted
        var host = $"127.0.0.1:{gateway.Endpoint.Port.ToString(CultureInfo.InvariantCulture)}";
        var headers = new KeyValuePair<string, string>[] { new("X-Api-Key", gateway.ApiKey) };
        var single = $$"""{"to":"{{receiverAccount.Bare}}","type":"chat","body":"{{MessageBody.Create(Phase, 0, 0)}}"}""";
        var steps = new List<(string Name, Func<CancellationToken, Task<SenderReport>> Run)>();
        foreach (var (name, query) in new[] { (GatewayRestScenario.QueuedName, ""), (GatewayRestScenario.WaitName, "?wait=server") })
        {
            var client = new HttpLoadClient(
                gateway.Endpoint,
                RequestTemplate.Post(host, $"/api/v1/sessions/{RestSessionId}/messages{query}", "application/json", single, headers));
            foreach (var connections in Connections)
            {
                steps.Add(($"{name} c{connections}", stop => client.RunAsync(connections, outbound, window, stop)));
            }
        }

        var batch = new HttpLoadClient(
            gateway.Endpoint,
            RequestTemplate.Post(
                host,
                $"/api/v1/sessions/{RestSessionId}/messages/batch",
                "application/json",
                $$"""{"messages":[{{string.Join(',', Enumerable.Repeat(single, options.BatchSize))}}]}""",
                headers),
            batch: true);
        steps.Add(($"{BatchScenario.Name} {options.BatchSize} × c{options.BatchConcurrency}", stop => batch.RunAsync(options.BatchConcurrency, outbound, window, stop)));
        foreach (var pacing in new[] { new SendPacing(null, options.Window), new SendPacing(PacedRate, options.Window) })
        {
            steps.Add(($"{HubInboundScenario.Name} {pacing}", stop => sender.RunAsync(inboundAccount.Bare, inbound, pacing, stop)));
        }

        steps.Add(($"status GET c{StatusConnections}", stop => GetStatusesAsync(statusPath, stop)));
        var loginAccounts = await _context.Prosody.CreateAccountsAsync(LoginConcurrency * AccountsPerLoginLoop, "warmup-login", cancellationToken);
        steps.Add(($"session create + delete c{LoginConcurrency}", stop => CreateAndDeleteSessionsAsync(loginAccounts, stop)));

        var slice = options.GatewayWarmup / steps.Count;
        LoadContext.Progress($"  {steps.Count} steps of {slice.TotalSeconds:N1} s: {string.Join(", ", steps.Select(step => step.Name))}");
        var reports = new List<SenderReport>();
        var started = Stopwatch.GetTimestamp();
        foreach (var (_, run) in steps)
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            stop.CancelAfter(slice);
            reports.Add(await run(stop.Token));
            cancellationToken.ThrowIfCancellationRequested();
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        var (drain, drained) = await PhaseRunner.DrainAsync(() => outbound.InFlight + inbound.InFlight, options.MaxDrain, cancellationToken);
        var result = new GatewayWarmupResult(
            steps.Select(step => step.Name).ToArray(),
            elapsed,
            outbound.ReceivedCount + inbound.ReceivedCount,
            outbound.InFlight + inbound.InFlight,
            reports[^2].Requests,
            reports[^1].Statuses.GetValueOrDefault((int)HttpStatusCode.Created),
            steps.Zip(reports).Select(pair => (pair.First.Name, Refused: LoadReport.Refused(pair.Second)))
                .Where(step => step.Refused != "0")
                .Select(step => $"{step.Name}: {step.Refused}")
                .ToArray(),
            drain,
            drained);
        LoadContext.Progress($"  warm-up: {result.Received:N0} messages received, {result.StatusRequests:N0} status GETs, {result.Logins:N0} sessions created and deleted; drained in {drain.TotalSeconds:N1} s");
        return result;
    }

    /// <summary>Sends one message through HttpClient and returns the path of its status (what the GETs ask for).</summary>
    private async Task<string> SendOneAsync(string to, DeliveryLog log, CancellationToken cancellationToken)
    {
        var seq = log.Next();
        var path = $"api/v1/sessions/{RestSessionId}/messages";
        var (status, body) = await _context.RequireApi().PostJsonAsync(
            path, $$"""{"to":"{{to}}","type":"chat","body":"{{MessageBody.Create(Phase, seq, Stopwatch.GetTimestamp())}}"}""", cancellationToken);
        if (status != HttpStatusCode.Accepted)
        {
            throw new InvalidOperationException($"The warm-up's first message answered {(int)status}: {body}");
        }

        log.Accept(seq);
        using var document = JsonDocument.Parse(body);
        return $"{path}/{Uri.EscapeDataString(document.RootElement.GetProperty("id").GetString() ?? "")}";
    }

    /// <summary>
    /// Creates sessions (each a login: SCRAM, bind, the post-bind requests, the store's rows) and deletes them again, from
    /// <see cref="LoginConcurrency"/> loops until <paramref name="stop"/>; each loop takes its own accounts in turn.
    /// </summary>
    private Task<SenderReport> CreateAndDeleteSessionsAsync(IReadOnlyList<TestAccount> accounts, CancellationToken stop)
    {
        var api = _context.RequireApi();
        return RunLoopsAsync(LoginConcurrency, async (loop, turn, _) =>
        {
            var id = $"load-warmup-login-{loop.ToString(CultureInfo.InvariantCulture)}-{turn.ToString(CultureInfo.InvariantCulture)}";

            // Not cancelled midway: a session created is deleted again, so no warm-up session outlives the step.
            var (status, _) = await api.CreateSessionAsync(id, accounts[(loop * AccountsPerLoginLoop) + (turn % AccountsPerLoginLoop)], CancellationToken.None);
            if (status == HttpStatusCode.Created)
            {
                await api.DeleteSessionAsync(id, CancellationToken.None);
            }

            return status;
        }, stop);
    }

    /// <summary>GETs <paramref name="path"/> from a few connections in closed loops until <paramref name="stop"/>.</summary>
    private Task<SenderReport> GetStatusesAsync(string path, CancellationToken stop)
    {
        var api = _context.RequireApi();
        return RunLoopsAsync(StatusConnections, (_, _, token) => api.GetStatusCodeAsync(path, token), stop);
    }

    /// <summary>
    /// <paramref name="loops"/> closed loops of <paramref name="request"/> (given the loop's index, its turn and
    /// <paramref name="stop"/>) until <paramref name="stop"/>, counting the answers by status and the requests that got none.
    /// </summary>
    private static async Task<SenderReport> RunLoopsAsync(int loops, Func<int, int, CancellationToken, Task<HttpStatusCode>> request, CancellationToken stop)
    {
        var statuses = new ConcurrentDictionary<int, long>();
        long requests = 0, transportErrors = 0;
        async Task LoopAsync(int loop)
        {
            for (var turn = 0; !stop.IsCancellationRequested; turn++)
            {
                try
                {
                    var status = await request(loop, turn, stop);
                    statuses.AddOrUpdate((int)status, 1, (_, count) => count + 1);
                    Interlocked.Increment(ref requests);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref transportErrors);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, loops).Select(loop => Task.Run(() => LoopAsync(loop), CancellationToken.None)));
        return new SenderReport(requests, statuses, transportErrors, RequestLatency: null, ErrorStanzas: 0);
    }
}
