using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Net;
using System.Text;
using Gateway.Api.Contracts;
using Gateway.Tests.Api;
using Gateway.Tests.Fakes;
using Gateway.Tests.Integration.Prosody;
using Gateway.Xmpp;
using static Gateway.Tests.Reliability.ChaosRunKit;

namespace Gateway.Tests.Reliability;

/// <summary>
/// The gateway as a real process under faults, with messages flowing both ways: a graceful restart (SIGTERM, then a
/// new process on the same store), a <c>kill -9</c> (and a new process), changes of the session's settings
/// (<c>PATCH</c>: one that resumes the stream, a new resource, a password changed on the server), and on top connection
/// cuts between gateway and server and a server restart. Outbound, a REST client posts numbered messages to a plain XMPP peer, retrying
/// each with its Idempotency-Key until accepted; inbound, the peer sends numbered messages that a SignalR subscriber
/// receives, reconnecting with its last event id after every restart. At the end every message arrived exactly once,
/// in order, both ways, and each sent message reached <c>acked</c>.
/// </summary>
/// <remarks>
/// Sized to finish in about two minutes on 2 cores. By hand: GATEWAY_CHAOS_MESSAGES (per direction, default 3,000),
/// GATEWAY_CHAOS_RATE (messages/s per direction, default 75), GATEWAY_CHAOS_BURST=1 (after an outage the senders post
/// their backlog at once instead of resuming the pace), GATEWAY_CHAOS_SEED (replays a run's fault timing),
/// GATEWAY_CHAOS_DIR (where runs keep their logs; default $TMPDIR/gateway-chaos), GATEWAY_CHAOS_KEEP=1 (keep the logs
/// and the store of passing runs too; failing runs always keep them), GATEWAY_CHAOS_PROSODY_LOG (Prosody's log level,
/// default warn). Every run appends one line to results.tsv in GATEWAY_CHAOS_DIR.
/// </remarks>
[Trait("Tier", "Fault")]
public sealed partial class GatewayProcessChaosTests
{
    private const string ApiKey = "chaos-key-5d1e9b3a07";
    private const string Tenant = "chaos";
    private const string SessionId = "chaos";

    private static readonly Lock ResultsFile = new();

    /// <summary>How long a run may make no progress at all (nothing sent, accepted, received) before it is failed.</summary>
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(60);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static int MessagesPerDirection => PositiveInt("GATEWAY_CHAOS_MESSAGES", 3_000);

    private static double Rate =>
        double.TryParse(Environment.GetEnvironmentVariable("GATEWAY_CHAOS_RATE"), NumberStyles.Float, CultureInfo.InvariantCulture, out var r) && r > 0 ? r : 75;

    /// <summary>GATEWAY_CHAOS_BURST=1: after an outage the senders make up for lost time at once (see <see cref="Pace"/>).</summary>
    private static bool Burst => Environment.GetEnvironmentVariable("GATEWAY_CHAOS_BURST") is "1" or "true";

    [Fact]
    public Task GracefulRestart_DuringTwoWayTraffic_EveryMessageOnceInOrder() =>
        RunAsync(nameof(GracefulRestart_DuringTwoWayTraffic_EveryMessageOnceInOrder), new ChaosPlan([new(0.30, Fault.GracefulRestart), new(0.65, Fault.GracefulRestart)], Cuts: false));

    [Fact]
    public Task Kill9_DuringTwoWayTraffic_EveryMessageOnceInOrder() =>
        RunAsync(nameof(Kill9_DuringTwoWayTraffic_EveryMessageOnceInOrder), new ChaosPlan([new(0.30, Fault.Kill), new(0.65, Fault.Kill)], Cuts: false));

    [Fact]
    public Task RestartKillServerRestartAndCuts_DuringTwoWayTraffic_EveryMessageOnceInOrder() =>
        RunAsync(
            nameof(RestartKillServerRestartAndCuts_DuringTwoWayTraffic_EveryMessageOnceInOrder),
            new ChaosPlan([new(0.20, Fault.GracefulRestart), new(0.45, Fault.ServerRestart), new(0.70, Fault.Kill)], Cuts: true));

    [Fact]
    public Task SettingsChangesAndCuts_DuringTwoWayTraffic_EveryMessageOnceInOrder() =>
        RunAsync(
            nameof(SettingsChangesAndCuts_DuringTwoWayTraffic_EveryMessageOnceInOrder),
            new ChaosPlan([new(0.20, Fault.ReceiptsOff), new(0.45, Fault.NewResource), new(0.70, Fault.NewPassword)], Cuts: true));

    private static async Task RunAsync(string testName, ChaosPlan plan)
    {
        var count = MessagesPerDirection;
        var rate = Rate;
        var seed = int.TryParse(Environment.GetEnvironmentVariable("GATEWAY_CHAOS_SEED"), CultureInfo.InvariantCulture, out var s) ? s : Random.Shared.Next();
        var runId = seed.ToString("x8", CultureInfo.InvariantCulture);
        var baseDirectory = Environment.GetEnvironmentVariable("GATEWAY_CHAOS_DIR") is { Length: > 0 } d ? d : Path.Combine(Path.GetTempPath(), "gateway-chaos");
        var runDirectory = Path.Combine(baseDirectory, $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{ShortName(testName)}-{runId}");
        Directory.CreateDirectory(runDirectory);
        var loadAtStart = LoadAverage();
        var clock = Stopwatch.StartNew();
        var timeline = new Timeline(clock);

        await using var server = await ProsodyServer.StartAsync(
            new ProsodyServerOptions { SqlStorage = true, LogLevel = Environment.GetEnvironmentVariable("GATEWAY_CHAOS_PROSODY_LOG") ?? "warn" }, Token);
        var gatewayAccount = await server.CreateAccountAsync("gw", Token);
        var peerAccount = await server.CreateAccountAsync("peer", Token);
        await using var proxy = FaultProxy.Start(new IPEndPoint(IPAddress.Loopback, server.C2sPort));
        await using var gateway = new GatewayProcess(GatewayEnvironment(server, Path.Combine(runDirectory, "store")), runDirectory);

        var outbound = new DeliveryLedger("outbound (REST → gateway → XMPP peer)", "g");
        var inbound = new DeliveryLedger("inbound (XMPP peer → gateway → SignalR subscriber)", "p");
        string? verdict = null;
        try
        {
            await gateway.StartAsync(TimeSpan.FromSeconds(90), Token);
            timeline.Add("gateway #1 ready");
            await CreateSessionAsync(gateway.BaseAddress, gatewayAccount, proxy.Port);
            timeline.Add("session online");

            await using var peer = new XmppPeer(server, peerAccount, outbound, runId);
            await peer.StartAsync(Token);
            await using var subscriber = new HubSubscriber(gateway.BaseAddress, ApiKey, SessionId, inbound);
            await subscriber.StartAsync(Token);
            using var rest = new RestSender(gateway.BaseAddress, ApiKey, SessionId, runId);
            timeline.Add("peer and subscriber connected; traffic starts");

            using var trafficCts = CancellationTokenSource.CreateLinkedTokenSource(Token);
            var sending = Task.WhenAll(
                rest.SendAllAsync(peer.Jid.Bare.ToString(), outbound, count, rate, Burst, trafficCts.Token),
                peer.SendAllAsync(Jid.Parse(gatewayAccount.Bare), inbound, count, rate, Burst, trafficCts.Token));
            double Progress() => (rest.Accepted + Math.Min(peer.Sent, count)) / (2.0 * count);
            string Describe() =>
                $"progress {Progress():P0}: REST accepted {rest.Accepted}/{count} ({rest.DescribeRetries()}); {peer.Describe()}; " +
                $"peer got {outbound.DistinctCount} distinct ({outbound.Count} copies); subscriber got {inbound.DistinctCount} distinct ({inbound.Count} copies), " +
                $"hub connections {subscriber.Connections}, last event {subscriber.LastEventId}; gateway generation {gateway.Generation}, running {gateway.IsRunning}";

            var cuts = new StrongBox<int>();
            var account = new StrongBox<TestAccount>(gatewayAccount);
            var faults = Task.Run(() => InjectFaultsAsync(plan, new Random(seed), Progress, gateway, server, account, timeline, Describe, trafficCts.Token), trafficCts.Token);
            var cutting = plan.Cuts
                ? Task.Run(() => CutWhileSendingAsync(proxy, gateway.BaseAddress, sending, new Random(seed ^ 0x5EED), cuts, trafficCts.Token), trafficCts.Token)
                : Task.CompletedTask;

            // Messages and their statuses only: a session reconnecting over and over publishes state events, which
            // must not pass for progress while no message moves.
            long Moved() => rest.Accepted + peer.Sent + outbound.Count + inbound.Count + subscriber.StatusEvents;
            Task<bool> WaitWhileMovingAsync(Task done, string what) => WaitWhileProgressingAsync(done, what, Moved, Describe, gateway.BaseAddress, timeline);

            try
            {
                if (await WaitWhileMovingAsync(Task.WhenAll(sending, faults, cutting), "the traffic to be sent and accepted"))
                {
                    timeline.Add($"all sent and accepted ({cuts.Value} cuts)");

                    // The drain ends on the sentinels: each direction's last message, sent after all others.
                    if (await WaitWhileMovingAsync(Task.WhenAll(outbound.SentinelArrived, inbound.SentinelArrived), "the sentinels"))
                    {
                        timeline.Add("both sentinels arrived");
                    }
                }
            }
            finally
            {
                await trafficCts.CancelAsync();
                await ObserveAsync(sending, faults, cutting);
            }

            // Each sent message's status: acked or later.
            var statuses = await CheckStatusesAsync(rest, subscriber, timeline);
            timeline.Add("statuses checked; session as the gateway reports it: " + await SessionSnapshotAsync(gateway.BaseAddress));

            // Outbound, what counts is what the gateway accepted (202): messages 0..accepted-1, posted one after the other.
            var outboundReport = outbound.Analyze(rest.Accepted);
            var inboundReport = inbound.Analyze(count);
            var eventIds = CheckEventIds(subscriber.EventIds);
            var errors = gateway.Grep(line => line.Contains(" fail: ", StringComparison.Ordinal) || line.Contains(" crit: ", StringComparison.Ordinal) || line.StartsWith("[stderr]", StringComparison.Ordinal));
            var sendingFailure = sending.IsFaulted ? sending.Exception!.GetBaseException().ToString() : null;
            var faultFailure = faults.IsFaulted ? faults.Exception!.GetBaseException().ToString() : null;
            var passed = outboundReport.Ok && inboundReport.Ok && statuses.Ok && eventIds.Ok && errors.Count == 0 && subscriber.Failures.Count == 0
                         && sendingFailure is null && faultFailure is null && sending.IsCompletedSuccessfully && faults.IsCompletedSuccessfully;

            var report = new StringBuilder();
            report.AppendLine(CultureInfo.InvariantCulture, $"{testName}: {(passed ? "PASSED" : "FAILED")} seed={seed} messages={count}/direction rate={rate}/s{(Burst ? " burst" : "")} cuts={cuts.Value} duration={clock.Elapsed.TotalSeconds:0}s load(start)={loadAtStart} load(end)={LoadAverage()}");
            if (rest.Accepted < count)
            {
                report.AppendLine(CultureInfo.InvariantCulture, $"outbound: only {rest.Accepted} of {count} messages were accepted (202); the REST client was stuck on message {rest.Accepted} ({rest.DescribeRetries()})");
            }

            report.AppendLine(outboundReport.ToString());
            report.AppendLine("  " + DescribeDuplicateOrigins(outboundReport));
            report.AppendLine(inboundReport.ToString());
            report.AppendLine(statuses.ToString());
            report.AppendLine(eventIds.ToString());
            report.AppendLine(CultureInfo.InvariantCulture, $"REST client: {rest.DescribeRetries()}; {peer.Describe()}; hub subscriptions {subscriber.Connections}");
            foreach (var failure in subscriber.Failures)
            {
                report.AppendLine("hub refused: " + failure);
            }

            if (sendingFailure is not null)
            {
                report.AppendLine("traffic failed: " + sendingFailure);
            }

            if (faultFailure is not null)
            {
                report.AppendLine("fault injection failed: " + faultFailure);
            }

            report.AppendLine("timeline:");
            foreach (var entry in timeline.Entries)
            {
                report.AppendLine("  " + entry);
            }

            report.AppendLine("what the gateway logged about recovery (#generation):");
            foreach (var line in RecoveryLines(gateway))
            {
                report.AppendLine("  " + line);
            }

            if (errors.Count > 0)
            {
                report.AppendLine(CultureInfo.InvariantCulture, $"error-level log lines ({errors.Count}):");
                foreach (var line in errors.Take(30))
                {
                    report.AppendLine("  " + line);
                }
            }

            CopyIfExists(server.LogPath, Path.Combine(runDirectory, "prosody.log"));
            var keep = !passed || Environment.GetEnvironmentVariable("GATEWAY_CHAOS_KEEP") is "1" or "true";
            report.AppendLine(keep
                ? $"logs: {runDirectory} (gateway-N.log per process, prosody.log, store/)"
                : $"logs: deleted, this report kept in {runDirectory} (passing run; GATEWAY_CHAOS_KEEP=1 keeps the logs)");
            verdict = report.ToString();
            await File.WriteAllTextAsync(Path.Combine(runDirectory, "report.txt"), verdict, CancellationToken.None);
            AppendResult(baseDirectory, testName, seed, passed, $"{gateway.Generation} processes, {cuts.Value} cuts", outboundReport, inboundReport, statuses, gateway, clock.Elapsed, loadAtStart, runDirectory);
            TestContext.Current.TestOutputHelper?.WriteLine(verdict);
            if (!keep)
            {
                // A passing run keeps only its report.
                await gateway.DisposeAsync();
                foreach (var path in gateway.LogPaths.Append(Path.Combine(runDirectory, "prosody.log")))
                {
                    TryDelete(path);
                }

                TryDelete(Path.Combine(runDirectory, "store"));
            }

            Assert.True(passed, verdict);
        }
        catch (Exception ex) when (verdict is null)
        {
            CopyIfExists(server.LogPath, Path.Combine(runDirectory, "prosody.log"));
            throw new InvalidOperationException(
                $"{testName} (seed {seed}) could not run to the end. Logs: {runDirectory}\ntimeline:\n  {string.Join("\n  ", timeline.Entries)}\n--- gateway tail ---\n{gateway.Tail()}",
                ex);
        }
    }

    /// <summary>The plan's faults, each once the traffic has progressed that far (with a little jitter from the seed).</summary>
    private static async Task InjectFaultsAsync(ChaosPlan plan, Random random, Func<double> progress, GatewayProcess gateway, ProsodyServer server, StrongBox<TestAccount> account, Timeline timeline, Func<string> describe, CancellationToken cancellationToken)
    {
        foreach (var step in plan.Steps)
        {
            // Jitter so that runs hit different moments of the traffic; the seed replays them.
            var at = step.AtProgress + ((random.NextDouble() - 0.5) * 0.06);
            while (progress() < at)
            {
                await Task.Delay(20, cancellationToken);
            }

            await ApplyAsync(step.Fault, gateway, server, account, timeline, describe, cancellationToken);
        }
    }

    /// <summary>
    /// Cuts the gateway's connections to the server at random moments while traffic flows, each once the session is back
    /// online (as PoolChaosTests does), so that a cut interrupts traffic rather than a login.
    /// </summary>
    private static async Task CutWhileSendingAsync(FaultProxy proxy, Uri gateway, Task sending, Random random, StrongBox<int> cuts, CancellationToken cancellationToken)
    {
        using var probe = new HttpClient { BaseAddress = gateway, Timeout = TimeSpan.FromSeconds(5) };
        probe.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
        while (!sending.IsCompleted)
        {
            if (!await IsOnlineAsync(probe, cancellationToken))
            {
                await Task.Delay(50, cancellationToken);
                continue;
            }

            await Task.Delay(random.Next(200, 1500), cancellationToken);
            if (!sending.IsCompleted && proxy.CutAll() > 0)
            {
                Interlocked.Increment(ref cuts.Value);
            }
        }
    }

    /// <summary>
    /// Waits for <paramref name="done"/> as long as something moves (a message sent, accepted, received, an event): a run
    /// that makes no progress for <see cref="StallTimeout"/> has failed, and the timeline says where it stood. No fixed
    /// time limit otherwise: on a loaded machine a slow run is not a failed one.
    /// </summary>
    private static async Task<bool> WaitWhileProgressingAsync(Task done, string what, Func<long> moved, Func<string> describe, Uri gateway, Timeline timeline)
    {
        var last = moved();
        var still = Stopwatch.StartNew();
        while (!done.IsCompleted)
        {
            await Task.WhenAny(done, Task.Delay(1000, Token));
            if (moved() != last)
            {
                last = moved();
                still.Restart();
            }
            else if (still.Elapsed > StallTimeout)
            {
                timeline.Add($"STALLED: nothing moved for {StallTimeout.TotalSeconds:0} s while waiting for {what}: {describe()}");
                timeline.Add("session as the gateway reports it: " + await SessionSnapshotAsync(gateway));
                return false;
            }
        }

        return true;
    }

    private static async Task ApplyAsync(Fault fault, GatewayProcess gateway, ProsodyServer server, StrongBox<TestAccount> account, Timeline timeline, Func<string> describe, CancellationToken cancellationToken)
    {
        timeline.Add($"{fault} at {describe()}");
        switch (fault)
        {
            case Fault.GracefulRestart:
                var exitCode = await gateway.StopGracefullyAsync(TimeSpan.FromSeconds(45), cancellationToken);
                timeline.Add($"gateway #{gateway.Generation} exited ({exitCode}) after SIGTERM");
                await gateway.StartAsync(TimeSpan.FromSeconds(90), cancellationToken);
                timeline.Add($"gateway #{gateway.Generation} ready");
                break;
            case Fault.Kill:
                await gateway.KillAsync(cancellationToken);
                timeline.Add($"gateway #{gateway.Generation} killed (SIGKILL)");
                await gateway.StartAsync(TimeSpan.FromSeconds(90), cancellationToken);
                timeline.Add($"gateway #{gateway.Generation} ready");
                break;
            case Fault.ServerRestart:
                await server.RestartAsync(cancellationToken);
                timeline.Add("XMPP server restarted");
                break;
            case Fault.ReceiptsOff:
                timeline.Add("PATCH answered: " + await PatchSessionAsync(gateway.BaseAddress, new UpdateSessionRequest { RequestReceipts = false }, cancellationToken));
                break;
            case Fault.NewResource:
                timeline.Add("PATCH answered: " + await PatchSessionAsync(gateway.BaseAddress, new UpdateSessionRequest { Resource = "chaos-" + gateway.Generation + "-b" }, cancellationToken));
                break;
            case Fault.NewPassword:
                // Changed through the server first, as a rotation does: it closes the account's streams, so the session
                // fails on its next login (keeping what it accepted) until the new password is given to the gateway.
                account.Value = await ChangePasswordInBandAsync(server, account.Value!, cancellationToken);
                timeline.Add("password changed on the server; PATCH answered: " + await PatchSessionAsync(gateway.BaseAddress, new UpdateSessionRequest { Password = account.Value!.Password }, cancellationToken));
                break;
        }
    }

    /// <summary>
    /// Changes the account's password the way a user's client does (XEP-0077 §3.3, logged in under a resource of its
    /// own): the server stores it and closes the account's other streams ("reset"), the gateway's among them.
    /// </summary>
    private static async Task<TestAccount> ChangePasswordInBandAsync(ProsodyServer server, TestAccount account, CancellationToken cancellationToken)
    {
        System.Xml.Linq.XNamespace register = "jabber:iq:register";
        var changed = account with { Password = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)) };
        await using var client = await Gateway.Tests.Integration.Client.TestClients.ConnectAsync(server, account, "password-change");
        await client.SendIqAsync(
            new Iq { Type = IqType.Set, To = Jid.Parse(account.Domain), Payload = [new System.Xml.Linq.XElement(register + "query", new System.Xml.Linq.XElement(register + "username", account.User), new System.Xml.Linq.XElement(register + "password", changed.Password))] },
            Gateway.Tests.Integration.Client.TestClients.Patience,
            cancellationToken);
        return changed;
    }

    /// <summary>
    /// PATCH …/sessions/{id} until it is answered 200, as a client would: the cuts may take the session's connection,
    /// or the login that tries a new password, at any moment (502, 503, 504), and a change is refused while the session
    /// is busy (409 session-busy). Returns the session's state and settings as answered.
    /// </summary>
    private static async Task<string> PatchSessionAsync(Uri gateway, UpdateSessionRequest change, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = gateway, Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
        var refusals = new List<int>();
        while (true)
        {
            using var response = await http.PatchAsync($"api/v1/sessions/{SessionId}", System.Net.Http.Json.JsonContent.Create(change, options: GatewayApiFactory.Json), cancellationToken);
            var status = (int)response.StatusCode;
            if (status == 200)
            {
                var session = await response.ReadAsync<SessionDto>(200);
                return $"{session.State} (resource {session.Settings.Resource ?? "(server's)"}, requestReceipts {session.Settings.RequestReceipts}) after refusals [{string.Join(",", refusals)}]";
            }

            if (status is not (409 or >= 500) || refusals.Count >= 20)
            {
                throw new InvalidOperationException($"PATCH answered {status}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
            }

            refusals.Add(status);
            await Task.Delay(200, cancellationToken);
        }
    }

    /// <summary>
    /// Every accepted message must reach acked or later. GET …/messages/{id} answers from the current process's memory;
    /// a message an earlier process already saw acknowledged is unknown there (404: docs/reliability.md, "a restarted
    /// gateway has their history in the event log, not in this lookup"), and its acked status is then the one the event
    /// log replayed to the subscriber. Polled until all are there or 30 s passed.
    /// </summary>
    private static async Task<StatusReport> CheckStatusesAsync(RestSender rest, HubSubscriber subscriber, Timeline timeline)
    {
        var ids = rest.MessageIds;
        var viaGet = new string?[ids.Count];
        var deadline = Stopwatch.StartNew();
        var pending = Enumerable.Range(0, ids.Count).ToList();
        while (true)
        {
            var next = new List<int>();
            foreach (var chunk in pending.Chunk(16))
            {
                await Task.WhenAll(chunk.Select(async i =>
                {
                    try
                    {
                        viaGet[i] = await rest.GetStatusAsync(ids[i], Token);
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !Token.IsCancellationRequested)
                    {
                        viaGet[i] = "unreachable";
                    }
                }));
                next.AddRange(chunk.Where(i => !Settled(i)));
            }

            pending = next;
            if (pending.Count == 0 || deadline.Elapsed > TimeSpan.FromSeconds(30))
            {
                break;
            }

            await Task.Delay(500, Token);
        }

        bool Settled(int i) => HubSubscriber.Rank(viaGet[i] ?? "") >= 3 || (viaGet[i] is null && HubSubscriber.Rank(subscriber.StatusOf(ids[i]) ?? "") >= 3);

        var ackedViaGet = Enumerable.Range(0, ids.Count).Count(i => HubSubscriber.Rank(viaGet[i] ?? "") >= 3);
        var ackedViaJournal = Enumerable.Range(0, ids.Count).Count(i => viaGet[i] is null && HubSubscriber.Rank(subscriber.StatusOf(ids[i]) ?? "") >= 3);
        var notAcked = Enumerable.Range(0, ids.Count).Where(i => !Settled(i))
            .Select(i => $"{i}: GET {viaGet[i] ?? "404"}, events {subscriber.StatusOf(ids[i]) ?? "none"}{(subscriber.FailureOf(ids[i]) is { } why ? $" (failed: {why})" : "")}")
            .ToList();
        timeline.Add($"status check took {deadline.Elapsed.TotalSeconds:0.0} s");
        return new StatusReport(ids.Count, ackedViaGet, ackedViaJournal, notAcked);
    }

    private static EventIdReport CheckEventIds(IReadOnlyList<long> eventIds)
    {
        var repeats = new List<string>();
        var gaps = new List<string>();
        for (var i = 1; i < eventIds.Count; i++)
        {
            if (eventIds[i] <= eventIds[i - 1])
            {
                repeats.Add($"{eventIds[i]} after {eventIds[i - 1]}");
            }
            else if (eventIds[i] != eventIds[i - 1] + 1)
            {
                gaps.Add($"{eventIds[i - 1] + 1}..{eventIds[i] - 1}");
            }
        }

        return new EventIdReport(eventIds.Count, eventIds.Count > 0 ? eventIds[0] : 0, eventIds.Count > 0 ? eventIds[^1] : 0, repeats, gaps);
    }

    private static string DescribeDuplicateOrigins(LedgerReport report)
    {
        if (report.Duplicated.Count == 0)
        {
            return "no sequence number arrived twice at the peer";
        }

        static string Origin(string key) => key.Split(' ')[0];
        var sameOrigin = report.Duplicated.Count(d => d.Keys.Select(Origin).Distinct().Count() == 1);
        return $"of the {report.Duplicated.Count} sequence numbers that arrived more than once, {sameOrigin} came with the same XEP-0359 origin-id each time " +
               $"(the gateway sent one accepted message again), {report.Duplicated.Count - sameOrigin} with different origin-ids (accepted twice)";
    }

    /// <summary>The gateway's own account of recovery: restores, catch-ups, archive lookups of unconfirmed sends, dropped streams.</summary>
    private static IReadOnlyList<string> RecoveryLines(GatewayProcess gateway)
    {
        string[] interesting = ["[3008]", "[4302]", "[4303]", "[4304]", "[2504]", "[3005]", "[5111]", "[5112]", "[5113]", "[5024]", "---- test:"];
        var lines = gateway.Grep(line => interesting.Any(tag => line.Contains(tag, StringComparison.Ordinal))).ToList();
        lines.Add("catch-ups from the archive [4301] " + DescribeCatchUps(gateway));
        var lost = gateway.Grep(line => line.Contains("[2501]", StringComparison.Ordinal)).Count;
        lines.Add($"({lost} 'connection lost; reconnect' lines [2501] in all)");
        return lines;
    }

    /// <summary>
    /// The [4301] lines (one per archive page read) summed up per process: "#2: 3 pages, 150 archived, 20 not seen
    /// before (06:00:29.8-06:00:30.1); #3: none".
    /// </summary>
    private static string DescribeCatchUps(GatewayProcess gateway)
    {
        var pages = gateway.Grep(line => line.Contains("[4301]", StringComparison.Ordinal))
            .Select(line => CatchUpLine().Match(line))
            .Where(m => m.Success)
            .Select(m => (Generation: m.Groups["gen"].Value, Time: m.Groups["time"].Value, Archived: int.Parse(m.Groups["archived"].Value, CultureInfo.InvariantCulture), New: int.Parse(m.Groups["new"].Value, CultureInfo.InvariantCulture)))
            .ToLookup(p => p.Generation);

        // A restored process (#2 on) that read no page at all ran no catch-up: worth seeing next to a gap.
        return string.Join("; ", Enumerable.Range(1, gateway.Generation).Select(generation => generation.ToString(CultureInfo.InvariantCulture))
            .Where(generation => pages[generation].Any() || generation != "1")
            .Select(generation => pages[generation].ToList() is { Count: > 0 } read
                ? $"#{generation}: {read.Count} pages, {read.Sum(p => p.Archived)} archived, {read.Sum(p => p.New)} not seen before ({read[0].Time}-{read[^1].Time})"
                : $"#{generation}: none"));
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^#(?<gen>\d+) (?<time>\S+) .*\[4301\].*: (?<archived>\d+) archived, (?<new>\d+) not seen before")]
    private static partial System.Text.RegularExpressions.Regex CatchUpLine();

    private static async Task CreateSessionAsync(Uri gateway, TestAccount account, int port)
    {
        using var http = new HttpClient { BaseAddress = gateway, Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
        var response = await http.PostJsonAsync("api/v1/sessions", new CreateSessionRequest
        {
            Id = SessionId, Jid = account.Bare, Password = account.Password, Host = "127.0.0.1", Port = port,
        });
        var session = await response.ReadAsync<SessionDto>(201);
        Assert.Equal("online", session.State);
    }

    /// <summary>GET …/sessions/{id}, as JSON text (state, reason, queuedOutbound, lastEventId), or why there is none.</summary>
    private static async Task<string> SessionSnapshotAsync(Uri gateway)
    {
        using var http = new HttpClient { BaseAddress = gateway, Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
        try
        {
            using var response = await http.GetAsync(new Uri($"api/v1/sessions/{SessionId}", UriKind.Relative), Token);
            return $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Token)}";
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !Token.IsCancellationRequested)
        {
            return "unreachable: " + ex.Message;
        }
    }

    private static async Task<bool> IsOnlineAsync(HttpClient probe, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await probe.GetAsync(new Uri($"api/v1/sessions/{SessionId}", UriKind.Relative), cancellationToken);
            return response.StatusCode == HttpStatusCode.OK
                   && (await response.Content.ReadAsStringAsync(cancellationToken)).Contains("\"state\":\"online\"", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>The gateway's whole configuration: environment variables only.</summary>
    private static Dictionary<string, string> GatewayEnvironment(ProsodyServer server, string storeDirectory) => new(StringComparer.Ordinal)
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["Gateway__Tenants__0__Name"] = Tenant,
        ["Gateway__Tenants__0__ApiKeySha256__0"] = GatewayApiFactory.Sha256Hex(ApiKey),
        ["Gateway__Pool__AllowHostOverride"] = "true",
        // The final check reads every message's status at once, far past a tenant's request rate limit.
        ["Gateway__RateLimits__Enabled"] = "false",
        ["Gateway__Pool__TrustedCertificatePaths__0"] = server.CertificatePath,
        ["Gateway__Pool__ReconnectBaseDelay"] = "00:00:00.050",
        ["Gateway__Pool__ReconnectMaxDelay"] = "00:00:00.500",
        ["Gateway__Pool__ConnectTimeout"] = "00:00:20",
        ["Gateway__Storage__Path"] = Path.Combine(storeDirectory, "gateway.db"),
        ["Gateway__DataProtection__AllowUnprotectedKeys"] = "true",
        ["Logging__LogLevel__Default"] = "Information",
        ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
        ["Logging__LogLevel__Gateway"] = "Debug",
        ["Logging__LogLevel__Gateway.Api.Auth"] = "Information",
        ["Logging__Console__FormatterName"] = "simple",
        ["Logging__Console__FormatterOptions__SingleLine"] = "true",
        ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
        ["Logging__Console__FormatterOptions__UseUtcTimestamp"] = "true",
        ["Logging__Console__FormatterOptions__ColorBehavior"] = "Disabled",
    };

    private static void AppendResult(string baseDirectory, string testName, int seed, bool passed, string faults, LedgerReport outbound, LedgerReport inbound, StatusReport statuses, GatewayProcess gateway, TimeSpan duration, string loadAtStart, string runDirectory)
    {
        var lookups = gateway.Grep(line => line.Contains("[4303]", StringComparison.Ordinal))
            .Select(line => line[(line.IndexOf(": ", line.IndexOf("[4303]", StringComparison.Ordinal), StringComparison.Ordinal) + 2)..]);
        var catchUps = DescribeCatchUps(gateway);
        var line = string.Join('\t',
            DateTime.UtcNow.ToString("u", CultureInfo.InvariantCulture), testName, seed.ToString(CultureInfo.InvariantCulture), passed ? "PASS" : "FAIL", faults + (Burst ? ", burst" : ""),
            $"out lost={outbound.Lost.Count} dup={outbound.Duplicated.Count} reord={outbound.Reordered.Count} sentinel={outbound.SentinelArrived}",
            $"in lost={inbound.Lost.Count} dup={inbound.Duplicated.Count} reord={inbound.Reordered.Count} sentinel={inbound.SentinelArrived}",
            $"status get={statuses.AckedViaGet} journal={statuses.AckedViaJournal} notacked={statuses.NotAcked.Count}",
            "4303: " + string.Join(" | ", lookups), "4301: " + catchUps,
            $"{duration.TotalSeconds:0}s", $"load {loadAtStart} -> {LoadAverage()}", runDirectory);
        lock (ResultsFile)
        {
            File.AppendAllText(Path.Combine(baseDirectory, "results.tsv"), line + "\n");
        }
    }

    private static string ShortName(string testName) => testName[..testName.IndexOf('_', StringComparison.Ordinal)];

    private static void TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
            else
            {
                File.Delete(path);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    private enum Fault
    {
        GracefulRestart,
        Kill,
        ServerRestart,

        /// <summary>PATCH requestReceipts false: the session moves and resumes its stream.</summary>
        ReceiptsOff,

        /// <summary>PATCH a new resource: the session moves to a new stream.</summary>
        NewResource,

        /// <summary>The password changed through the server (which closes the session's stream), then PATCHed.</summary>
        NewPassword,
    }

    private sealed record ChaosStep(double AtProgress, Fault Fault);

    private sealed record ChaosPlan(IReadOnlyList<ChaosStep> Steps, bool Cuts);

    private sealed record StatusReport(int Total, int AckedViaGet, int AckedViaJournal, IReadOnlyList<string> NotAcked)
    {
        public bool Ok => NotAcked.Count == 0;

        public override string ToString() =>
            $"statuses of {Total} sent messages: {AckedViaGet} acked or later per GET …/messages/{{id}}; {AckedViaJournal} unknown to the current process (404) " +
            $"and acked per the journaled message-status events; {NotAcked.Count} never reached acked" +
            (NotAcked.Count == 0 ? "" : $" (sequence: status) [{string.Join("; ", NotAcked.Take(20))}{(NotAcked.Count > 20 ? "; ..." : "")}]");
    }

    private sealed record EventIdReport(int Count, long First, long Last, IReadOnlyList<string> Repeats, IReadOnlyList<string> Gaps)
    {
        public bool Ok => Repeats.Count == 0 && Gaps.Count == 0 && (Count == 0 || First == 1);

        public override string ToString() =>
            $"hub events: {Count} received, ids {First}..{Last}; repeated or backwards {Repeats.Count}" +
            (Repeats.Count == 0 ? "" : $" [{string.Join(", ", Repeats.Take(10))}]") +
            $"; gaps {Gaps.Count}" + (Gaps.Count == 0 ? "" : $" [{string.Join(", ", Gaps.Take(10))}]");
    }
}
