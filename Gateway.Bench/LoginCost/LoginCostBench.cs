using System.Diagnostics;
using System.Globalization;
using System.Xml.Linq;
using Gateway.Bench.Load;
using Gateway.Tests.Integration.Prosody;
using Gateway.Xmpp;
using Gateway.Xmpp.Blocking;
using Gateway.Xmpp.Pool;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Bench.LoginCost;

/// <summary>
/// What one login costs, step by step: a private Prosody configured like the load tool's scale scenario (plaintext
/// loopback, no MAM unless asked, file storage), and rows of N fresh accounts logging in with one more step each, so a
/// step's cost is its row minus the base row. CPU is Prosody's and this process's (utime + stime from procfs) over the
/// row; the connections stay open until the row is measured. The "pool" rows log in through the gateway's real
/// <see cref="SessionPool"/>, so this process is then the gateway.
/// </summary>
/// <remarks>
/// <code>dotnet run -c Release --project Gateway.Bench -- login-cost --logins 500 --concurrency 32 [--auth internal_hashed] [--mam] [--rows base,sm,...] [--repeat 2] [--blocks 5]</code>
/// Not the load tool: no HTTP, no gateway process, no journal store; a few thousand logins at most (the machine is shared).
/// </remarks>
public static class LoginCostBench
{
    private static readonly string[] AllRows = ["base", "sm", "roster", "presence", "carbons", "blocklist", "disco", "mam", "all", "all-pipelined", "pool", "pool-reconnect"];

    /// <summary>Runs the rows and prints a table; 0 on success, 1 on bad arguments.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var logins = 500;
        var concurrency = 32;
        var repeat = 1;
        var blocks = 1;
        var auth = "internal_plain";
        var mam = false;
        var rows = AllRows;
        var gcdump = false;
        var prosodyLog = "warn";
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => ++i < args.Length ? args[i] : throw new ArgumentException($"{args[i - 1]} needs a value");
            switch (args[i])
            {
                case "--logins": logins = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--concurrency": concurrency = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--repeat": repeat = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--blocks": blocks = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--auth": auth = Value(); break;
                case "--mam": mam = true; break;
                case "--rows": rows = Value().Split(','); break;
                case "--gcdump": gcdump = true; break;
                case "--prosody-log": prosodyLog = Value(); break;
                default:
                    await Console.Error.WriteLineAsync($"login-cost: unknown argument {args[i]}");
                    return 1;
            }
        }

        await using var prosody = await ProsodyServer.StartAsync(new ProsodyServerOptions
        {
            LogLevel = prosodyLog,
            PlaintextC2s = true,
            Authentication = auth,
            DisabledModules = mam ? [] : ["mam"],
        });
        var self = new ProcessMeter("self", Environment.ProcessId);
        Console.WriteLine($"login-cost: {logins} logins per row, {concurrency} at a time, auth={auth}, mam={(mam ? "on" : "off")}, {Environment.ProcessorCount} cores, load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");

        // Warm-up (JIT, Prosody's module caches): not measured.
        await MeasureAsync(prosody, self, "all", Math.Min(100, logins), concurrency, gcdump: false);
        await MeasureAsync(prosody, self, "pool", Math.Min(100, logins), concurrency, gcdump: false);

        Console.WriteLine($"{"row",-15} {"prosody µs",11} {"self µs",9} {"wall s",7} {"logins/s",9} {"heap KB/s",10}");
        // Rows take turns in blocks of logins/blocks (repeat rounds of them): on a shared machine the CPU time a login
        // costs drifts with the other load over minutes, and interleaving spreads that drift over every row alike.
        var totals = rows.ToDictionary(row => row, _ => (Prosody: 0.0, Self: 0.0, Wall: TimeSpan.Zero, Heap: 0.0, Count: 0));
        var block = Math.Max(1, logins / blocks);
        foreach (var round in Enumerable.Range(0, repeat * blocks))
        {
            foreach (var row in rows)
            {
                var result = await MeasureAsync(prosody, self, row, block, concurrency, gcdump && row == "pool");
                var (p, c, w, h, n) = totals[row];
                totals[row] = (p + result.ProsodyMicros, c + result.SelfMicros, w + result.Wall, h + result.HeapBytesPerSession, n + 1);
                if (blocks == 1)
                {
                    Console.WriteLine($"{row,-15} {result.ProsodyMicros,11:N0} {result.SelfMicros,9:N0} {result.Wall.TotalSeconds,7:N2} {block / result.Wall.TotalSeconds,9:N0} {result.HeapBytesPerSession / 1024.0,10:N1}");
                }
            }
        }

        if (blocks > 1)
        {
            Console.WriteLine($"mean over {repeat * blocks} blocks of {block} logins per row:");
            foreach (var (row, (p, c, w, h, n)) in totals)
            {
                Console.WriteLine($"{row,-15} {p / n,11:N0} {c / n,9:N0} {w.TotalSeconds,7:N2} {block * n / w.TotalSeconds,9:N0} {h / n / 1024.0,10:N1}");
            }
        }

        if (prosodyLog == "debug")
        {
            File.Copy(prosody.LogPath, "/tmp/login-cost-prosody.log", overwrite: true);
        }

        return 0;
    }

    private sealed record RowResult(double ProsodyMicros, double SelfMicros, TimeSpan Wall, double HeapBytesPerSession);

    private static async Task<RowResult> MeasureAsync(ProsodyServer prosody, ProcessMeter self, string row, int logins, int concurrency, bool gcdump)
    {
        var prosodyMeter = new ProcessMeter("prosody", prosody.ProcessId ?? throw new InvalidOperationException("Prosody is not running."));
        var accounts = await prosody.CreateAccountsAsync(logins, "lc");
        await SettleAsync(prosodyMeter);
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);

        await using var holder = new Holder();
        var prosodyBefore = prosodyMeter.ReadCpu();
        var selfBefore = self.ReadCpu();
        var clock = Stopwatch.StartNew();
        if (row.StartsWith("pool", StringComparison.Ordinal))
        {
            await Parallel.ForAsync(0, logins, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, token) =>
                await holder.Pool.CreateAsync("t", new SessionSpec
                {
                    Id = "s" + i.ToString(CultureInfo.InvariantCulture),
                    Jid = Jid.Parse(accounts[i].Bare),
                    Password = accounts[i].Password,
                    Host = prosody.Host,
                    Port = prosody.C2sPort,
                    TlsMode = TlsMode.Disabled,
                }, token));
        }
        else
        {
            await Parallel.ForAsync(0, logins, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, token) =>
                holder.Add(await LoginAsync(prosody, accounts[i], row, token)));
        }

        var wall = clock.Elapsed;
        await SettleAsync(prosodyMeter);
        if (row == "pool-reconnect")
        {
            // Prosody restarts: every session loses its stream for good and binds a new one, what a reconnect without
            // resumption costs. Measured from the moment the new Prosody answers (its own start-up is not a login).
            await prosody.RestartAsync();
            prosodyMeter = new ProcessMeter("prosody", prosody.ProcessId ?? throw new InvalidOperationException("Prosody is not running."));
            prosodyBefore = prosodyMeter.ReadCpu();
            selfBefore = self.ReadCpu();
            clock.Restart();
            await holder.WaitAllOnlineAsync(logins);
            wall = clock.Elapsed;
            await SettleAsync(prosodyMeter);
        }

        var prosodyCpu = prosodyMeter.ReadCpu() - prosodyBefore;
        var selfCpu = self.ReadCpu() - selfBefore;
        var heapAfter = GC.GetTotalMemory(forceFullCollection: true);
        if (gcdump)
        {
            var go = Path.Combine(Path.GetTempPath(), $"login-cost-{Environment.ProcessId}.go");
            Console.WriteLine($"  {row}: {logins} sessions online; heap {heapAfter / 1024 / 1024} MB, RSS {self.ReadRssKib() / 1024} MB; dump with: dotnet-gcdump collect -p {Environment.ProcessId}; then touch {go}");
            while (!File.Exists(go))
            {
                await Task.Delay(500);
            }

            File.Delete(go);
        }

        return new RowResult(prosodyCpu.TotalMicroseconds / logins, selfCpu.TotalMicroseconds / logins, wall, (double)(heapAfter - heapBefore) / logins);
    }

    /// <summary>Waits until Prosody has finished what the row made it do (its CPU time still for 300 ms).</summary>
    private static async Task SettleAsync(ProcessMeter prosody)
    {
        var last = prosody.ReadCpu();
        for (var i = 0; i < 50; i++)
        {
            await Task.Delay(300);
            var now = prosody.ReadCpu();
            if (now == last)
            {
                return;
            }

            last = now;
        }
    }

    private static async Task<XmppClient> LoginAsync(ProsodyServer prosody, TestAccount account, string row, CancellationToken cancellationToken)
    {
        var client = await XmppClient.ConnectAsync(new XmppClientOptions
        {
            Jid = Jid.Parse(account.Bare),
            Password = account.Password,
            Resource = "gw",
            Host = prosody.Host,
            Port = prosody.C2sPort,
            TlsMode = TlsMode.Disabled,
            AllowPrivateAddresses = true,
            EnableStreamManagement = row != "base",
            EnableStreamResumption = row != "base",
        }, cancellationToken: cancellationToken);
        var bare = client.Jid.Bare;
        switch (row)
        {
            case "roster":
                await client.GetRosterAsync("", cancellationToken);
                break;
            case "presence":
                await client.SendInitialPresenceAsync(cancellationToken: cancellationToken);
                break;
            case "carbons":
                await client.SendIqAsync(CarbonElements.EnableRequest(), cancellationToken: cancellationToken);
                break;
            case "blocklist":
                await IgnoreErrorAsync(client.GetBlocklistAsync(cancellationToken));
                break;
            case "disco":
                await client.SendIqAsync(new Iq { Type = IqType.Get, To = bare, Payload = [new XElement(DiscoFeature.InfoQueryName)] }, cancellationToken: cancellationToken);
                break;
            case "mam":
                await IgnoreErrorAsync(client.SendIqAsync(MamElements.MetadataRequest(), cancellationToken: cancellationToken));
                break;
            case "all" or "all-no-disco" or "all-no-carbons" or "all-no-roster" or "all-no-presence" or "all-no-blocklist" or "all-no-mam":
                // In the order the pool's features run them; "all-no-X" leaves step X out (its cost: all minus that row).
                var without = row.StartsWith("all-no-", StringComparison.Ordinal) ? row["all-no-".Length..] : "";
                if (without != "disco")
                {
                    await client.SendIqAsync(new Iq { Type = IqType.Get, To = bare, Payload = [new XElement(DiscoFeature.InfoQueryName)] }, cancellationToken: cancellationToken);
                }

                if (without != "carbons")
                {
                    await client.SendIqAsync(CarbonElements.EnableRequest(), cancellationToken: cancellationToken);
                }

                if (without != "roster")
                {
                    await client.GetRosterAsync("", cancellationToken);
                }

                if (without != "presence")
                {
                    await client.SendInitialPresenceAsync(cancellationToken: cancellationToken);
                }

                if (without != "blocklist")
                {
                    await IgnoreErrorAsync(client.GetBlocklistAsync(cancellationToken));
                }

                if (without != "mam")
                {
                    await IgnoreErrorAsync(client.SendIqAsync(MamElements.MetadataRequest(), cancellationToken: cancellationToken));
                }

                break;
            case "all-pipelined":
                var disco = client.SendIqAsync(new Iq { Type = IqType.Get, To = bare, Payload = [new XElement(DiscoFeature.InfoQueryName)] }, cancellationToken: cancellationToken);
                var carbons = client.SendIqAsync(CarbonElements.EnableRequest(), cancellationToken: cancellationToken);
                var roster = client.GetRosterAsync("", cancellationToken);
                var presence = client.SendInitialPresenceAsync(cancellationToken: cancellationToken);
                var blocklist = IgnoreErrorAsync(client.GetBlocklistAsync(cancellationToken));
                var archive = IgnoreErrorAsync(client.SendIqAsync(MamElements.MetadataRequest(), cancellationToken: cancellationToken));
                await Task.WhenAll(disco, carbons, roster, presence, blocklist, archive);
                break;
        }

        return client;
    }

    private static async Task IgnoreErrorAsync(Task task)
    {
        try
        {
            await task;
        }
        catch (StanzaErrorException)
        {
        }
    }

    /// <summary>The row's connections (or pool), kept open until the row is measured, then closed.</summary>
    private sealed class Holder : IAsyncDisposable
    {
        private readonly List<XmppClient> _clients = [];
        private SessionPool? _pool;

        public SessionPool Pool => _pool ??= new SessionPool(
            new SessionPoolOptions { AllowHostOverride = true, MaxSessions = 100_000, MaxSessionsPerTenant = 100_000, ReconnectBaseDelay = TimeSpan.FromMilliseconds(200), ReconnectMaxDelay = TimeSpan.FromSeconds(2) },
            NullLoggerFactory.Instance);

        public void Add(XmppClient client)
        {
            lock (_clients)
            {
                _clients.Add(client);
            }
        }

        /// <summary>Waits until every session is online (again).</summary>
        public async Task WaitAllOnlineAsync(int count)
        {
            // The sessions first notice the lost stream, then come back after their backoff.
            await Task.Delay(500);
            var gone = new List<string>();
            for (var i = 0; i < count; i++)
            {
                var id = "s" + i.ToString(CultureInfo.InvariantCulture);
                while (Pool.Find("t", id) is { } session && session.Info.State != SessionState.Online)
                {
                    if (session.Info.State is SessionState.Failed or SessionState.Stopped)
                    {
                        gone.Add($"{id}: {session.Info.State} ({session.Info.Reason})");
                        break;
                    }

                    await Task.Delay(50);
                }

                if (Pool.Find("t", id) is null)
                {
                    gone.Add($"{id}: removed from the pool");
                }
            }

            if (gone.Count > 0)
            {
                Console.WriteLine($"  {gone.Count} sessions did not come back, e.g. {gone[0]}");
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_pool is not null)
            {
                await _pool.DisposeAsync();
            }

            await Parallel.ForEachAsync(_clients, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (client, token) =>
            {
                try
                {
                    await client.CloseAsync(token);
                }
                catch (XmppException)
                {
                }

                await client.DisposeAsync();
            });
        }
    }
}
