using System.Diagnostics;
using System.Globalization;
using System.Text;
using Gateway.Api.Contracts;
using Gateway.Tests.Api;
using Gateway.Tests.Integration.Postgres;
using Gateway.Tests.Integration.Prosody;
using Gateway.Tests.Integration.Redis;
using Gateway.Tests.Reliability;
using Gateway.Xmpp;
using static Gateway.Tests.Reliability.ChaosRunKit;

namespace Gateway.Tests.Cluster;

/// <summary>
/// Issue 13's cluster test: three gateway processes (<see cref="GatewayProcess"/>) clustered through the private Redis,
/// sharing one PostgreSQL store, against a private Prosody. Three sessions, each created through its own node so that
/// every node runs one; each with traffic both ways (a REST client posting numbered messages to a plain XMPP peer, the
/// peer's numbered messages to a SignalR subscriber). Mid-flow one node is drained (SIGTERM) and then the node running
/// the first session is killed (SIGKILL); their sessions come back on the survivors. At the end every message arrived
/// exactly once and in order at both ends, every subscriber saw event ids without gap or repeat across its
/// <c>SubscribeAfter</c> reconnects, every send reached <c>acked</c>, and the XMPP server never had a session's account
/// bound twice at once (<see cref="BindWitness"/>: the server's own log of every bind).
/// </summary>
/// <remarks>
/// <para>
/// Where requests go is one choice (<see cref="ClusterRouting"/>): to the node that runs the session while nodes answer
/// only for their own sessions (the REST sender and the subscriber find it by asking every node), round robin over all
/// nodes once they forward; probed at the start, or forced with GATEWAY_CLUSTER_ROUTING=owner|round-robin.
/// </para>
/// <para>
/// The kill costs most of the run: the gateway does not expose Orleans' membership timing yet, so the survivors take
/// Orleans' default failure detection (several missed 5 s probes and a vote) to declare the dead node gone before the
/// placement round (every second here) hosts its sessions again. The waits are generous for that.
/// By hand: GATEWAY_CLUSTER_MESSAGES (per session and direction, default 150), GATEWAY_CLUSTER_RATE (messages/s per
/// session and direction, default 5), GATEWAY_CLUSTER_DIR (logs; default $TMPDIR/gateway-cluster), GATEWAY_CLUSTER_KEEP=1
/// (keep the logs of passing runs). Every run appends a line to results.tsv there.
/// </para>
/// </remarks>
[Collection(PostgresCollection.Name)]
[Trait("Tier", "Integration")]
public sealed class GatewayClusterProcessTests(PostgresFixture postgres, RedisFixture redisFixture)
{
    private const string ApiKey = "cluster-key-8c4f2e6a19";
    private const string Tenant = "cluster";
    private const string Resource = "gateway";
    private static readonly string[] NodeNames = ["a", "b", "c"];

    /// <summary>Nothing moved for this long: the run is stuck. Covers Orleans' default failure detection after the kill.</summary>
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(150);

    private static readonly TimeSpan NodeStartTimeout = TimeSpan.FromSeconds(120);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static int Messages => PositiveInt("GATEWAY_CLUSTER_MESSAGES", 150);

    private static double Rate =>
        double.TryParse(Environment.GetEnvironmentVariable("GATEWAY_CLUSTER_RATE"), NumberStyles.Float, CultureInfo.InvariantCulture, out var r) && r > 0 ? r : 5;

    [Fact]
    public async Task ThreeNodes_DrainOneAndKillOne_DuringTwoWayTraffic_EveryMessageOnceAndNoSessionBoundTwice()
    {
        var count = Messages;
        var runId = Guid.NewGuid().ToString("N")[..8];
        var baseDirectory = Environment.GetEnvironmentVariable("GATEWAY_CLUSTER_DIR") is { Length: > 0 } d ? d : Path.Combine(Path.GetTempPath(), "gateway-cluster");
        var runDirectory = Path.Combine(baseDirectory, $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{runId}");
        Directory.CreateDirectory(runDirectory);
        var clock = Stopwatch.StartNew();
        var timeline = new Timeline(clock);
        var loadAtStart = LoadAverage();

        var redis = await redisFixture.GetServerAsync();
        await using var database = await postgres.CreateDatabaseAsync("cluster", Token);
        await using var prosody = await ProsodyServer.StartAsync(
            new ProsodyServerOptions
            {
                SqlStorage = true,
                LogLevel = "warn",
                PluginPaths = [BindWitness.WriteModule(Path.Combine(runDirectory, "prosody-modules"))],
                ExtraModules = [BindWitness.ModuleName],
            },
            Token);
        timeline.Add("redis, postgres, prosody up");

        var ports = NodeNames.Select(_ => LocalProcesses.FreeLoopbackPort()).ToArray();
        var clusterId = ClusterTestKit.NewClusterId();
        var processes = NodeNames.Select((name, i) => new GatewayProcess(
            NodeEnvironment(prosody, redis.ConnectionString, database.ConnectionString, clusterId, ports[i]), Path.Combine(runDirectory, "node-" + name), ports[i])).ToArray();
        var nodes = new ClusterNodes([.. NodeNames.Select((name, i) => (name, processes[i].BaseAddress))], ApiKey);
        var sessions = new List<SessionUnderTest>();
        string? verdict = null;
        try
        {
            // Node a first: it creates the schema and the key ring the others then read.
            await processes[0].StartAsync(NodeStartTimeout, Token);
            timeline.Add("node a ready");
            await Task.WhenAll(processes.Skip(1).Select(p => p.StartAsync(NodeStartTimeout, Token)));
            timeline.Add("nodes b and c ready");

            // One session per node: each created through its node, where its grain is placed (prefer-local).
            for (var i = 0; i < NodeNames.Length; i++)
            {
                var session = new SessionUnderTest("s" + NodeNames[i], await prosody.CreateAccountAsync("gw" + NodeNames[i], Token), await prosody.CreateAccountAsync("peer" + NodeNames[i], Token));
                sessions.Add(session);
                await CreateSessionAsync(processes[i].BaseAddress, session, prosody);
            }

            for (var i = 0; i < sessions.Count; i++)
            {
                sessions[i].Owner = new OwnerRoute(nodes, sessions[i].Id);
                var owner = await sessions[i].Owner!.FindAsync(Token);
                Assert.True(owner == processes[i].BaseAddress, $"session {sessions[i].Id} was created through node {NodeNames[i]} but runs on {nodes.NameOf(owner)}: {await nodes.DescribeAsync(sessions[i].Id, Token)}");
            }

            var restRouting = ClusterRoutingProbe.Forced ?? await ClusterRoutingProbe.RestAsync(nodes, processes[1].BaseAddress, sessions[0].Id, Token);
            var hubRouting = ClusterRoutingProbe.Forced ?? await ClusterRoutingProbe.HubAsync(nodes, processes[1].BaseAddress, sessions[0].Id, Token);
            timeline.Add($"sessions online, one per node; REST routing {restRouting}, hub routing {hubRouting}");

            for (var i = 0; i < sessions.Count; i++)
            {
                var s = sessions[i];
                ISessionRoute Route(ClusterRouting routing) => routing == ClusterRouting.Owner ? s.Owner! : new RoundRobinRoute(nodes, i);
                s.Outbound = new DeliveryLedger($"{s.Id} outbound (REST → gateway → XMPP peer)", "g" + s.Id);
                s.Inbound = new DeliveryLedger($"{s.Id} inbound (XMPP peer → gateway → SignalR subscriber)", "p" + s.Id);
                s.Peer = new XmppPeer(prosody, s.PeerAccount, s.Outbound, runId);
                await s.Peer.StartAsync(Token);
                s.Subscriber = new HubSubscriber(Route(hubRouting), ApiKey, s.Id, s.Inbound);
                await s.Subscriber.StartAsync(Token);
                s.Rest = new RestSender(Route(restRouting), ApiKey, s.Id, runId);
            }

            timeline.Add("peers and subscribers connected; traffic starts");
            using var trafficCts = CancellationTokenSource.CreateLinkedTokenSource(Token);
            var sending = Task.WhenAll(sessions.SelectMany(s => new[]
            {
                s.Rest!.SendAllAsync(s.Peer!.Jid.Bare.ToString(), s.Outbound!, count, Rate, catchUp: false, trafficCts.Token),
                s.Peer.SendAllAsync(Jid.Parse(s.Account.Bare), s.Inbound!, count, Rate, catchUp: false, trafficCts.Token),
            }));
            double Progress() => sessions.Sum(s => s.Rest!.Accepted + Math.Min(s.Peer!.Sent, count)) / (2.0 * count * sessions.Count);
            long Moved() => sessions.Sum(s => s.Rest!.Accepted + s.Peer!.Sent + s.Outbound!.Count + s.Inbound!.Count + s.Subscriber!.StatusEvents);
            string Describe() => $"progress {Progress():P0}; " + string.Join("; ", sessions.Select(s => s.Describe(nodes, count)));

            var faults = Task.Run(() => InjectFaultsAsync(processes, sessions, nodes, Progress, Describe, timeline, trafficCts.Token), trafficCts.Token);
            try
            {
                if (await WaitWhileMovingAsync(Task.WhenAll(sending, faults), "the traffic to be sent and accepted and the faults applied", Moved, Describe, timeline))
                {
                    timeline.Add("all sent and accepted");
                    if (await WaitWhileMovingAsync(Task.WhenAll(sessions.SelectMany(s => new[] { s.Outbound!.SentinelArrived, s.Inbound!.SentinelArrived })), "the sentinels", Moved, Describe, timeline))
                    {
                        timeline.Add("every sentinel arrived");
                    }
                }
            }
            finally
            {
                await trafficCts.CancelAsync();
                await ObserveAsync(sending, faults);
            }

            var report = new StringBuilder();
            var passed = true;
            foreach (var s in sessions)
            {
                var outbound = s.Outbound!.Analyze(s.Rest!.Accepted);
                var inbound = s.Inbound!.Analyze(count);
                var statuses = await NotAckedAsync(s);
                var eventIds = EventIdProblems(s.Subscriber!.EventIds);
                var ok = outbound.Ok && inbound.Ok && s.Rest.Accepted == count && statuses.Count == 0 && eventIds is null && s.Subscriber.Failures.Count == 0;
                passed &= ok;
                report.AppendLine(CultureInfo.InvariantCulture, $"session {s.Id} ({s.Account}): {(ok ? "ok" : "FAILED")}; owners seen {string.Join(", ", s.Owner!.Changes)}; now: {await nodes.DescribeAsync(s.Id, CancellationToken.None)}");
                report.AppendLine("  " + outbound);
                foreach (var duplicate in outbound.Duplicated.Take(5))
                {
                    report.AppendLine(CultureInfo.InvariantCulture, $"    {duplicate.Sequence}: arrived {string.Join(", ", s.Outbound.ArrivalsOf(duplicate.Sequence))}; posted {string.Join(", ", s.Rest.AttemptsOf(s.Rest.KeyOf(s.Outbound, duplicate.Sequence)).Select(a => Named(nodes, a)))}");
                }

                report.AppendLine("  " + inbound);
                foreach (var duplicate in inbound.Duplicated.Take(5))
                {
                    report.AppendLine(CultureInfo.InvariantCulture, $"    {duplicate.Sequence}: arrived {string.Join(", ", s.Inbound.ArrivalsOf(duplicate.Sequence))}");
                }

                report.AppendLine(CultureInfo.InvariantCulture, $"  accepted {s.Rest.Accepted}/{count} ({s.Rest.DescribeRetries()}); not acked: {(statuses.Count == 0 ? "none" : string.Join("; ", statuses.Take(10)))}");
                report.AppendLine(CultureInfo.InvariantCulture, $"  hub: {s.Subscriber.EventIds.Count} events, last {s.Subscriber.LastEventId}, {eventIds ?? "no gap, no repeat, from 1"}; subscriptions {s.Subscriber.Connections}, 'not found' on a node {s.Subscriber.NotFoundElsewhere}, last node {nodes.NameOf(s.Subscriber.Node)}");
                report.AppendLine("  " + s.Peer!.Describe());
                foreach (var failure in s.Subscriber.Failures)
                {
                    report.AppendLine("  hub refused: " + failure);
                }
            }

            // The server's own view: no bind while another session of the same account was live, and now exactly one
            // resource per account (no leftover of a dead node's login).
            var accounts = sessions.Select(s => s.Account.Bare).ToHashSet(StringComparer.Ordinal);
            var binds = BindWitness.Read(prosody.LogPath).Where(b => accounts.Contains(b.Account)).ToList();
            var doubleBinds = binds.Where(b => b.WhileAnotherIsLive).ToList();
            var resourcesNow = new List<string>();
            foreach (var s in sessions)
            {
                var resources = await ClusterTestKit.OtherResourcesAsync(prosody, s.Account);
                resourcesNow.Add($"{s.Id}: [{string.Join(", ", resources)}]");
                passed &= resources.Count == 1 && resources[0] == Resource;
            }

            var kicked = processes.SelectMany((p, i) => p.Grep(line => line.Contains("'conflict'", StringComparison.Ordinal)).Select(line => $"{NodeNames[i]} {line}")).ToList();
            var errors = processes.SelectMany((p, i) => p.Grep(IsGatewayError).Select(line => $"{NodeNames[i]} {line}")).ToList();
            var otherErrors = processes.Sum(p => p.Grep(line => IsError(line) && !IsGatewayError(line)).Count);
            passed &= binds.Count >= sessions.Count && doubleBinds.Count == 0 && kicked.Count == 0 && errors.Count == 0 && sending.IsCompletedSuccessfully && faults.IsCompletedSuccessfully;

            var head = new StringBuilder();
            head.AppendLine(CultureInfo.InvariantCulture, $"{nameof(ThreeNodes_DrainOneAndKillOne_DuringTwoWayTraffic_EveryMessageOnceAndNoSessionBoundTwice)}: {(passed ? "PASSED" : "FAILED")} run={runId} messages={count}/session/direction rate={Rate}/s REST={restRouting} hub={hubRouting} duration={clock.Elapsed.TotalSeconds:0}s load(start)={loadAtStart} load(end)={LoadAverage()}");
            head.Append(report);
            head.AppendLine(CultureInfo.InvariantCulture, $"XMPP server binds of the sessions' accounts ({binds.Count}, {doubleBinds.Count} while another session of the account was live):");
            foreach (var bind in binds)
            {
                head.AppendLine("  " + bind);
            }

            head.AppendLine("resources per account at the end (server's view): " + string.Join("; ", resourcesNow));
            head.AppendLine(CultureInfo.InvariantCulture, $"sessions thrown out with 'conflict' per the nodes' logs: {kicked.Count}; Gateway error-level lines: {errors.Count}; other (Orleans, ASP.NET) error-level lines: {otherErrors}");
            foreach (var line in kicked.Concat(errors).Take(30))
            {
                head.AppendLine("  " + line);
            }

            if (sending.IsFaulted)
            {
                head.AppendLine("traffic failed: " + sending.Exception!.GetBaseException());
            }

            if (faults.IsFaulted)
            {
                head.AppendLine("fault injection failed: " + faults.Exception!.GetBaseException());
            }

            head.AppendLine("timeline:");
            foreach (var entry in timeline.Entries)
            {
                head.AppendLine("  " + entry);
            }

            CopyIfExists(prosody.LogPath, Path.Combine(runDirectory, "prosody.log"));
            var keep = !passed || Environment.GetEnvironmentVariable("GATEWAY_CLUSTER_KEEP") is "1" or "true";
            head.AppendLine(keep ? $"logs: {runDirectory} (node-x/gateway-N.log, prosody.log)" : $"logs: deleted (passing run; GATEWAY_CLUSTER_KEEP=1 keeps them), report in {runDirectory}");
            verdict = head.ToString();
            await File.WriteAllTextAsync(Path.Combine(runDirectory, "report.txt"), verdict, CancellationToken.None);
            await File.AppendAllTextAsync(
                Path.Combine(baseDirectory, "results.tsv"),
                string.Join('\t', DateTime.UtcNow.ToString("u", CultureInfo.InvariantCulture), passed ? "PASS" : "FAIL", $"{clock.Elapsed.TotalSeconds:0}s", $"REST={restRouting} hub={hubRouting}", $"binds={binds.Count} double={doubleBinds.Count}", $"load {loadAtStart} -> {LoadAverage()}", runDirectory) + "\n",
                CancellationToken.None);
            TestContext.Current.TestOutputHelper?.WriteLine(verdict);
            if (!keep)
            {
                foreach (var process in processes)
                {
                    await process.DisposeAsync();
                    foreach (var path in process.LogPaths)
                    {
                        File.Delete(path);
                    }
                }

                File.Delete(Path.Combine(runDirectory, "prosody.log"));
            }

            Assert.True(passed, verdict);
        }
        catch (Exception ex) when (verdict is null)
        {
            CopyIfExists(prosody.LogPath, Path.Combine(runDirectory, "prosody.log"));
            throw new InvalidOperationException(
                $"The cluster test could not run to the end. Logs: {runDirectory}\ntimeline:\n  {string.Join("\n  ", timeline.Entries)}\n" +
                string.Join('\n', processes.Select((p, i) => $"--- node {NodeNames[i]} tail ---\n{p.Tail()}")),
                ex);
        }
        finally
        {
            foreach (var s in sessions)
            {
                await s.DisposeAsync();
            }

            foreach (var process in processes)
            {
                await process.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Drains node b (SIGTERM: the graceful shutdown a deploy does) once a quarter of the traffic went through, waits
    /// until every session is online again, then kills the node that runs the first session (node a) at half way.
    /// </summary>
    private static async Task InjectFaultsAsync(GatewayProcess[] processes, List<SessionUnderTest> sessions, ClusterNodes nodes, Func<double> progress, Func<string> describe, Timeline timeline, CancellationToken cancellationToken)
    {
        await UntilAsync(() => progress() >= 0.25, cancellationToken);
        timeline.Add("drain node b (SIGTERM) at " + describe());
        var exitCode = await processes[1].StopGracefullyAsync(TimeSpan.FromSeconds(60), cancellationToken);
        timeline.Add($"node b exited ({exitCode})");
        await AllOnlineAsync(sessions, nodes, timeline, cancellationToken);

        await UntilAsync(() => progress() >= 0.5, cancellationToken);
        var victim = await sessions[0].Owner!.FindAsync(cancellationToken);
        var index = Array.FindIndex(processes, p => p.BaseAddress == victim);
        Assert.True(index >= 0, $"no node runs session {sessions[0].Id} before the kill: {await nodes.DescribeAsync(sessions[0].Id, cancellationToken)}");
        timeline.Add($"kill -9 node {NodeNames[index]} (runs {string.Join(", ", sessions.Where(s => s.Owner!.Owner == victim).Select(s => s.Id))}) at {describe()}");
        await processes[index].KillAsync(cancellationToken);
        timeline.Add($"node {NodeNames[index]} killed");
        await AllOnlineAsync(sessions, nodes, timeline, cancellationToken);
    }

    /// <summary>Waits until each session is online on some node (the owner route finds it), and notes where.</summary>
    private static async Task AllOnlineAsync(List<SessionUnderTest> sessions, ClusterNodes nodes, Timeline timeline, CancellationToken cancellationToken)
    {
        using var http = nodes.Client(TimeSpan.FromSeconds(5));
        foreach (var s in sessions)
        {
            while (true)
            {
                var owner = await s.Owner!.FindAsync(cancellationToken);
                if (owner is not null && await nodes.ListedStateAsync(http, owner, s.Id, cancellationToken) == "online")
                {
                    break;
                }

                await Task.Delay(250, cancellationToken);
            }
        }

        timeline.Add("every session online again: " + string.Join(", ", sessions.Select(s => $"{s.Id} on {nodes.NameOf(s.Owner!.Owner)}")));
    }

    private static async Task UntilAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        while (!condition())
        {
            await Task.Delay(50, cancellationToken);
        }
    }

    /// <summary>Waits for <paramref name="done"/> as long as something moves; a run where nothing moved for <see cref="StallTimeout"/> is stuck.</summary>
    private static async Task<bool> WaitWhileMovingAsync(Task done, string what, Func<long> moved, Func<string> describe, Timeline timeline)
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
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Accepted messages that never reached acked: asked of the node the route names (a node knows the statuses of the
    /// messages it sent), else taken from the message-status events the subscriber received. Polled for up to 30 s.
    /// </summary>
    private static async Task<List<string>> NotAckedAsync(SessionUnderTest s)
    {
        var ids = s.Rest!.MessageIds;
        var pending = Enumerable.Range(0, ids.Count).Where(i => HubSubscriber.Rank(s.Subscriber!.StatusOf(ids[i]) ?? "") < 3).ToList();
        var patience = Stopwatch.StartNew();
        var last = new Dictionary<int, string>();
        while (pending.Count > 0 && patience.Elapsed < TimeSpan.FromSeconds(30))
        {
            var next = new List<int>();
            foreach (var i in pending)
            {
                string status;
                try
                {
                    status = await s.Rest.GetStatusAsync(ids[i], Token) ?? "unknown to the node";
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or InvalidOperationException && !Token.IsCancellationRequested)
                {
                    status = "unreachable";
                }

                if (HubSubscriber.Rank(status) < 3 && HubSubscriber.Rank(s.Subscriber!.StatusOf(ids[i]) ?? "") < 3)
                {
                    last[i] = $"{i}: GET {status}, events {s.Subscriber.StatusOf(ids[i]) ?? "none"}{(s.Subscriber.FailureOf(ids[i]) is { } why ? $" (failed: {why})" : "")}";
                    next.Add(i);
                }
            }

            pending = next;
            if (pending.Count > 0)
            {
                await Task.Delay(500, Token);
            }
        }

        return [.. pending.Select(i => last[i])];
    }

    /// <summary>Null when the ids run 1, 2, 3, … without gap or repeat; else what is wrong.</summary>
    private static string? EventIdProblems(IReadOnlyList<long> ids)
    {
        var problems = new List<string>();
        if (ids.Count > 0 && ids[0] != 1)
        {
            problems.Add($"first id {ids[0]}");
        }

        for (var i = 1; i < ids.Count && problems.Count < 10; i++)
        {
            if (ids[i] <= ids[i - 1])
            {
                problems.Add($"{ids[i]} after {ids[i - 1]} (repeat)");
            }
            else if (ids[i] != ids[i - 1] + 1)
            {
                problems.Add($"gap {ids[i - 1] + 1}..{ids[i] - 1}");
            }
        }

        return problems.Count == 0 ? null : "EVENT IDS WRONG: " + string.Join(", ", problems);
    }

    private static async Task CreateSessionAsync(Uri node, SessionUnderTest session, ProsodyServer prosody)
    {
        using var http = new HttpClient { BaseAddress = node, Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
        var response = await http.PostJsonAsync("api/v1/sessions", new CreateSessionRequest
        {
            Id = session.Id, Jid = session.Account.Bare, Password = session.Account.Password, Resource = Resource, Host = prosody.Host, Port = prosody.C2sPort,
        });
        Assert.Equal("online", (await response.ReadAsync<SessionDto>(201)).State);
    }

    /// <summary>One node's whole configuration: environment variables only.</summary>
    private static Dictionary<string, string> NodeEnvironment(ProsodyServer prosody, string redis, string postgresConnectionString, string clusterId, int port) => new(StringComparer.Ordinal)
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["Gateway__Tenants__0__Name"] = Tenant,
        ["Gateway__Tenants__0__ApiKeySha256__0"] = GatewayApiFactory.Sha256Hex(ApiKey),
        ["Gateway__Pool__AllowHostOverride"] = "true",
        ["Gateway__RateLimits__Enabled"] = "false",
        ["Gateway__Pool__TrustedCertificatePaths__0"] = prosody.CertificatePath,
        ["Gateway__Pool__ReconnectBaseDelay"] = "00:00:00.050",
        ["Gateway__Pool__ReconnectMaxDelay"] = "00:00:00.500",
        ["Gateway__Pool__ConnectTimeout"] = "00:00:20",
        ["Gateway__Storage__Provider"] = "Postgres",
        ["Gateway__Storage__ConnectionString"] = postgresConnectionString,
        ["Gateway__DataProtection__AllowUnprotectedKeys"] = "true",
        ["Gateway__Cluster__Mode"] = "Redis",
        ["Gateway__Cluster__ClusterId"] = clusterId,
        ["Gateway__Cluster__RedisConnectionString"] = redis,
        ["Gateway__Cluster__AdvertisedHttpUrl"] = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/",
        ["Gateway__Cluster__PlacementInterval"] = "00:00:01",
        ["Logging__LogLevel__Default"] = "Warning",
        ["Logging__LogLevel__Gateway"] = "Information",
        ["Logging__LogLevel__Gateway.Api.Auth"] = "Warning",
        ["Logging__LogLevel__Gateway.Xmpp.Pool"] = "Debug", // outbox, catch-up and archive lookups: what a duplicate or a loss is traced with
        ["Logging__Console__FormatterName"] = "simple",
        ["Logging__Console__FormatterOptions__SingleLine"] = "true",
        ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
        ["Logging__Console__FormatterOptions__UseUtcTimestamp"] = "true",
        ["Logging__Console__FormatterOptions__ColorBehavior"] = "Disabled",
    };

    /// <summary>A REST attempt with the node's name for its address.</summary>
    private static string Named(ClusterNodes nodes, string attempt)
    {
        foreach (var (name, address) in nodes.All)
        {
            attempt = attempt.Replace(address.ToString(), "node " + name, StringComparison.Ordinal);
        }

        return attempt;
    }

    private static bool IsError(string line) =>
        line.Contains(" fail: ", StringComparison.Ordinal) || line.Contains(" crit: ", StringComparison.Ordinal) || line.StartsWith("[stderr]", StringComparison.Ordinal);

    private static bool IsGatewayError(string line) =>
        line.Contains(" fail: Gateway", StringComparison.Ordinal) || line.Contains(" crit: Gateway", StringComparison.Ordinal) || line.StartsWith("[stderr]", StringComparison.Ordinal);

    /// <summary>One gateway session and everything that talks to it.</summary>
    private sealed class SessionUnderTest(string id, TestAccount account, TestAccount peerAccount) : IAsyncDisposable
    {
        public string Id => id;

        public TestAccount Account => account;

        public TestAccount PeerAccount => peerAccount;

        public OwnerRoute? Owner { get; set; }

        public DeliveryLedger? Outbound { get; set; }

        public DeliveryLedger? Inbound { get; set; }

        public XmppPeer? Peer { get; set; }

        public HubSubscriber? Subscriber { get; set; }

        public RestSender? Rest { get; set; }

        public string Describe(ClusterNodes nodes, int count) =>
            $"{id}: accepted {Rest?.Accepted}/{count}, peer sent {Peer?.Sent}, peer got {Outbound?.DistinctCount}, subscriber got {Inbound?.DistinctCount}, owner {nodes.NameOf(Owner?.Owner)}, hub on {nodes.NameOf(Subscriber?.Node)}";

        public async ValueTask DisposeAsync()
        {
            if (Subscriber is not null)
            {
                await Subscriber.DisposeAsync();
            }

            if (Peer is not null)
            {
                await Peer.DisposeAsync();
            }

            Rest?.Dispose();
            Owner?.Dispose();
        }
    }
}
