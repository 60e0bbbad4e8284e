using System.Diagnostics;
using System.Globalization;
using Gateway.Bench.Load.Cluster;
using Gateway.Tests.Integration.Prosody;

namespace Gateway.Bench.Load;

/// <summary>
/// One run of the load tool: builds the gateway, starts Prosody and the gateway, runs the chosen scenarios in order
/// (a failing scenario is reported and the run goes on), then writes and prints the report.
/// </summary>
internal sealed class LoadRunner
{
    private readonly LoadOptions _options;

    public LoadRunner(LoadOptions options) => _options = options;

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var repository = FindRepositoryRoot();
        var needsGateway = _options.Scenarios.Any(s => s is not RawC2sScenario.Name and not ModRestScenario.Name and not ClusterScenario.Name);
        var gatewayDll = _options.GatewayDll ?? Path.Combine(repository, "Gateway.Api", "bin", "Release", "net10.0", "Gateway.Api.dll");
        if ((needsGateway || _options.Runs(ClusterScenario.Name)) && !_options.NoBuild && _options.GatewayDll is null)
        {
            await BuildGatewayAsync(repository, cancellationToken);
        }

        var wantedFiles = (ulong)Math.Max(65_536, _options.Sessions + _options.Subscribers + 4_096);
        var fileLimit = FileLimits.Raise(wantedFiles);
        var machine = await MachineInfo.CollectAsync(repository, cancellationToken);
        LoadContext.Progress($"Machine: {machine}; load average {machine.LoadAverageAtStart}; open files limit {fileLimit.Now:N0}");

        var modRest = _options.ModRestPath ?? Path.GetFullPath(Path.Combine(repository, "..", "shared", "peers", "mod_rest"));
        var hasModRest = File.Exists(Path.Combine(modRest, "mod_rest.lua"));
        var problems = new List<string>();
        if (!hasModRest && _options.Runs(ModRestScenario.Name))
        {
            problems.Add($"mod_rest not found at {modRest} (no mod_rest.lua): its rows are n/a. Pass --mod-rest PATH.");
        }

        var prosodyOptions = new ProsodyServerOptions
        {
            LogLevel = _options.ProsodyLogLevel,
            PlaintextC2s = true,
            Authentication = _options.ProsodyAuthentication,
            DisabledModules = ["mam"],
            ExtraModules = hasModRest ? ["http", "rest"] : [],
            PluginPaths = hasModRest ? [modRest] : [],
            EnableHttp = hasModRest,
            ExtraSettings = hasModRest ? ["rest_auth_mechanisms = { \"Basic\" }"] : [],
        };
        LoadContext.Progress("Starting Prosody");
        await using var prosody = await ProsodyServer.StartAsync(prosodyOptions, cancellationToken);
        var prosodyMeter = new ProcessMeter("prosody", prosody.ProcessId ?? throw new InvalidOperationException("Prosody is not running."));
        var toolMeter = new ProcessMeter("tool", Environment.ProcessId);

        GatewayProcess? gateway = null;
        try
        {
            if (needsGateway)
            {
                LoadContext.Progress($"Starting the gateway ({gatewayDll})");
                var maxSessions = _options.Sessions + 1_000;
                gateway = await GatewayProcess.StartAsync(gatewayDll, maxSessions, _options.Keep, _options.GatewaySettings, cancellationToken);
            }

            var gatewayMeter = gateway is null ? null : new ProcessMeter("gateway", gateway.ProcessId);
            await using var sampler = new ResourceSampler(gatewayMeter is null ? [prosodyMeter, toolMeter] : [gatewayMeter, prosodyMeter, toolMeter]);
            var context = new LoadContext(_options, prosody, gateway, sampler, prosodyMeter, gatewayMeter, toolMeter);
            GatewayWarmupResult? warmup = null;
            if (gateway is not null && _options.GatewayWarmup > TimeSpan.Zero)
            {
                LoadContext.Progress($"Gateway warm-up ({_options.GatewayWarmup.TotalSeconds:0.#} s, not measured)");
                try
                {
                    warmup = await new GatewayWarmup(context).RunAsync(cancellationToken);
                    if (!warmup.Drained)
                    {
                        problems.Add($"Gateway warm-up: {warmup.Missing:N0} messages had not arrived when its drain gave up after {warmup.Drain.TotalSeconds:N1} s; the first phase may still see the gateway busy with them.");
                    }
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    LoadContext.Progress($"  failed: {ex.GetType().Name}: {ex.Message}");
                    problems.Add($"Gateway warm-up failed: {ex.GetType().Name}: {FirstLine(ex.Message)}");
                }
            }

            var phases = new List<PhaseResult>();
            ScaleResult? scale = null;
            var clusterScale = new List<ClusterScaleResult>();
            string? scaleNote = null;
            foreach (var scenario in _options.Scenarios)
            {
                LoadContext.Progress(LoadReport.Title(scenario));
                try
                {
                    switch (scenario)
                    {
                        case SessionScaleScenario.Name:
                            var needed = (ulong)_options.Sessions + 1_000;
                            if (fileLimit.Now < needed)
                            {
                                scaleNote = $"Not run: {_options.Sessions:N0} sessions need about {needed:N0} open files in the gateway and in Prosody " +
                                    $"(one socket per session each), and the limit is {fileLimit.Now:N0} (this tool could not raise it).";
                                break;
                            }

                            scale = await new SessionScaleScenario(context).RunAsync((long)fileLimit.Now, cancellationToken);
                            break;
                        case ClusterScenario.Name:
                            var cluster = new ClusterScenario(context, gatewayDll);
                            try
                            {
                                phases.AddRange(await cluster.RunAsync(problems, cancellationToken));
                            }
                            finally
                            {
                                clusterScale.AddRange(cluster.Scale);
                            }

                            break;
                        default:
                            var results = await RunScenarioAsync(context, scenario, cancellationToken);
                            phases.AddRange(results);
                            foreach (var result in results.Where(r => r.DeliveredPerSecond is not null && r.Concurrency is null))
                            {
                                LoadContext.Progress($"  {result.Load}: {result.DeliveredPerSecond:N0}/s");
                            }

                            break;
                    }
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    LoadContext.Progress($"  failed: {ex.GetType().Name}: {ex.Message}");
                    problems.Add($"{LoadReport.Title(scenario)} failed: {ex.GetType().Name}: {FirstLine(ex.Message)}");
                    if (scenario == SessionScaleScenario.Name)
                    {
                        scaleNote = $"Failed: {ex.GetType().Name}: {FirstLine(ex.Message)}";
                    }
                    else
                    {
                        phases.Add(PhaseResult.NotRun(scenario, "–", "failed (see problems)"));
                    }
                }
            }

            problems.AddRange(Remarks(phases));
            var storeFileSystem = "";
            if (gateway is not null)
            {
                storeFileSystem = FileSystemOf(gateway.DirectoryPath);
                var (warnings, errors, startupWarnings, firstStartupWarning) = gateway.LoggedProblems;
                if (startupWarnings > 0)
                {
                    problems.Add($"At start-up the gateway logged {startupWarnings} warning(s), the first: \"{firstStartupWarning}\" (expected with this configuration).");
                }

                if (warnings + errors > 0)
                {
                    var copy = (_options.Output ?? ReportPath(repository, machine.StartedUtc)) + ".gateway.log";
                    Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
                    File.Copy(gateway.LogPath, copy, overwrite: true);
                    problems.Add($"While running, the gateway logged {warnings} warnings and {errors} errors; its log is in {copy}.");
                }
            }

            var ours = gateway is null ? new[] { prosodyMeter.ProcessId } : [prosodyMeter.ProcessId, gateway.ProcessId];
            var busiestAtEnd = await MachineInfo.SampleBusiestProcessesAsync(TimeSpan.FromSeconds(2), ours, cancellationToken);
            var report = new LoadReport
            {
                Options = _options,
                Machine = machine,
                FinishedUtc = DateTime.UtcNow,
                LoadAverageAtEnd = MachineInfo.ReadLoadAverage(),
                BusiestProcessesAtEnd = busiestAtEnd,
                FileLimit = fileLimit,
                SetUp = DescribeSetUp(prosody, hasModRest ? modRest : null, gateway, storeFileSystem, warmup),
                Phases = phases,
                Scale = scale,
                ClusterScale = clusterScale,
                ScaleNote = scaleNote,
                Problems = problems,
            };
            var markdown = report.ToMarkdown();
            var output = _options.Output ?? ReportPath(repository, machine.StartedUtc);
            Directory.CreateDirectory(Path.GetDirectoryName(output)!);
            await File.WriteAllTextAsync(output, markdown, cancellationToken);
            Console.Out.Write(markdown);
            LoadContext.Progress($"Report written to {output}");
            return 0;
        }
        finally
        {
            if (gateway is not null)
            {
                LoadContext.Progress("Stopping the gateway");
                await gateway.DisposeAsync();
            }
        }
    }

    private Task<IReadOnlyList<PhaseResult>> RunScenarioAsync(LoadContext context, string scenario, CancellationToken cancellationToken) => scenario switch
    {
        RawC2sScenario.Name => new RawC2sScenario(context).RunAsync(cancellationToken),
        ModRestScenario.Name => new ModRestScenario(context).RunAsync(cancellationToken),
        GatewayRestScenario.QueuedName => new GatewayRestScenario(context, waitForServer: false).RunAsync(cancellationToken),
        GatewayRestScenario.WaitName => new GatewayRestScenario(context, waitForServer: true).RunAsync(cancellationToken),
        BatchScenario.Name => new BatchScenario(context).RunAsync(cancellationToken),
        HubInboundScenario.Name => new HubInboundScenario(context).RunAsync(cancellationToken),
        HubFanoutScenario.Name => new HubFanoutScenario(context).RunAsync(cancellationToken),
        _ => throw new ArgumentException($"Unknown scenario '{scenario}'.", nameof(scenario)),
    };

    /// <summary>Everything in the figures a reader must not miss: losses, duplicates, refusals, drains that gave up.</summary>
    private static IEnumerable<string> Remarks(IEnumerable<PhaseResult> phases)
    {
        foreach (var phase in phases)
        {
            var name = $"{LoadReport.Title(phase.Scenario)} {phase.Load}";
            if (phase.Note is { } note && phase.Timing is not null)
            {
                yield return $"{name}: {note}.";
            }

            if (phase.Delivery is { } delivery)
            {
                if (delivery.Missing > 0)
                {
                    yield return $"{name}: {delivery.Missing:N0} accepted messages never arrived.";
                }

                if (delivery.Duplicates > 0)
                {
                    yield return $"{name}: {delivery.Duplicates:N0} duplicate deliveries.";
                }

                if (delivery.Unexpected > 0)
                {
                    yield return $"{name}: {delivery.Unexpected:N0} messages arrived although their request was refused or unanswered.";
                }
            }

            if (phase.Fanout is { } fanout && (fanout.Missing > 0 || fanout.Duplicates > 0))
            {
                yield return $"{name}: {fanout.Missing:N0} deliveries missing ({fanout.Incomplete:N0} messages not everyone got), {fanout.Duplicates:N0} duplicates.";
            }

            if (phase.Timing is { } timing)
            {
                if (!timing.Drained)
                {
                    yield return $"{name}: still incomplete when the drain gave up after {timing.Drain.TotalSeconds:N1} s.";
                }
                else if (timing.Drain > TimeSpan.FromSeconds(2))
                {
                    yield return $"{name}: the backlog took {timing.Drain.TotalSeconds:N1} s to drain after sending stopped.";
                }

                if (timing.Sender.FailedStatuses.Length > 0 || timing.Sender.TransportErrors > 0)
                {
                    yield return $"{name}: refused or unanswered requests: {timing.Sender.FailedStatuses} {(timing.Sender.TransportErrors > 0 ? $"{timing.Sender.TransportErrors} without answer" : "")}".TrimEnd() + ".";
                }
            }
        }
    }

    private List<string> DescribeSetUp(ProsodyServer prosody, string? modRest, GatewayProcess? gateway, string storeFileSystem, GatewayWarmupResult? warmup)
    {
        var setUp = new List<string>
        {
            "Prosody: one process, data in /dev/shm (the test suite's launcher), plaintext c2s on 127.0.0.1, " +
            "`authentication = \"" + _options.ProsodyAuthentication + "\"`, `network_settings = { nagle = false }`, log level " + _options.ProsodyLogLevel + "; " +
            "the launcher's module set without mod_mam (its file store caps each archive at 10,000 messages and then rewrites " +
            "the whole archive for every message, which would make the archive the bottleneck within seconds)" +
            (modRest is null ? "; mod_rest not loaded." : $", plus mod_http and mod_rest from `{modRest}` (`rest_auth_mechanisms = {{ \"Basic\" }}`, `http_default_host`)."),
        };
        if (gateway is not null)
        {
            setUp.Add(
                "Gateway: `dotnet Gateway.Api.dll` (Release) as a separate process, configured by environment variables: one tenant with an " +
                $"API key, `Gateway__Pool__AllowHostOverride=true`, `MaxSessions` = `MaxSessionsPerTenant` = {(_options.Sessions + 1_000).ToString("N0", CultureInfo.InvariantCulture)}, " +
                $"its SQLite store in a fresh directory under {Path.GetDirectoryName(gateway.DirectoryPath)} ({storeFileSystem}), logging at Warning, " +
                "all other settings at their defaults. Sessions are created through `POST /api/v1/sessions` with `\"tlsMode\":\"disabled\"` " +
                "(SCRAM-SHA-1, XEP-0198 on).");
            setUp.Add(
                warmup?.Describe()
                ?? (_options.GatewayWarmup > TimeSpan.Zero
                    ? "Gateway warm-up: failed (see the problems): the first gateway phases include the gateway's JIT compilation."
                    : "Gateway warm-up: none (`--gateway-warmup 0`): the first gateway phases include the gateway's JIT compilation."));
        }

        if (_options.Runs(ClusterScenario.Name))
        {
            setUp.Add(
                $"Cluster: for each node count ({string.Join(", ", _options.Nodes)}), fresh `dotnet Gateway.Api.dll` processes (Release) with " +
                "`Gateway:Cluster:Mode=Redis` and `Gateway:Storage:Provider=Postgres` on a private redis-server and PostgreSQL (the test suite's launchers; " +
                "fsync and synchronous_commit off) and a fresh database; the same tenant settings as above; " +
                (_options.NodeCores is { } cores ? $"each node in a cgroup of its own with a CPU quota of {cores.ToString("0.##", CultureInfo.InvariantCulture)} cores; " : "no CPU quota; ") +
                $"{_options.ClusterSessions} sending sessions created through node i mod N (a session runs where it is created), fresh accounts per topology; " +
                (_options.ClusterRoutingToOwner
                    ? "each HTTP connection straight to the node that runs its session (`--cluster-routing owner`: no call is forwarded); "
                    : "one address in front of the nodes: this tool's layer-4 round robin (each new TCP connection to the next node, bytes copied both ways), so about " +
                      "(N−1)/N of the calls reach a node that forwards them to the session's owner; ") +
                "HTTP connection j sends for session j mod S. " +
                "Warm-up per topology: the highest concurrency for `--gateway-warmup`, not measured.");
        }

        setUp.Add(
            "Load: HTTP from a minimal keep-alive client on raw sockets (pre-encoded requests, one in flight per connection, closed loop); " +
            "receivers log in with Gateway.Xmpp's `XmppClient` (no stream management), send presence and wait for a ping's answer; " +
            "XMPP senders are raw sockets (SASL PLAIN, many pre-encoded messages per write) that, when sending as fast as possible, keep " +
            $"{_options.Window.ToString("N0", CultureInfo.InvariantCulture)} messages in flight; the inbound subscriber is " +
            "Microsoft.AspNetCore.SignalR.Client (WebSockets without negotiation, JSON, no stateful reconnect); the fan-out subscribers " +
            (_options.FanoutOfficialClient
                ? "are the same client."
                : "speak the same JSON hub protocol on plain WebSockets and read only the message body (a thousand official clients would cost this tool more CPU than the gateway).") +
            " One receiver account per scenario; every phase numbers its messages in the body, with a Stopwatch timestamp.");
        return setUp;
    }

    private static async Task BuildGatewayAsync(string repository, CancellationToken cancellationToken)
    {
        LoadContext.Progress("Building Gateway.Api (Release)");
        var startInfo = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = repository,
        };
        foreach (var argument in new[] { "build", Path.Combine(repository, "Gateway.Api", "Gateway.Api.csproj"), "-c", "Release", "-nologo", "-v", "q" })
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException("Could not start dotnet build.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet build Gateway.Api failed ({process.ExitCode}):\n{await output}{await errors}");
        }
    }

    private static string FindRepositoryRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "Gateway.slnx")))
                {
                    return directory.FullName;
                }
            }
        }

        throw new InvalidOperationException("Cannot find the repository root (the folder with Gateway.slnx) above the tool or the current directory.");
    }

    private static string ReportPath(string repository, DateTime startedUtc) =>
        Path.Combine(repository, "BenchmarkDotNet.Artifacts", "load", $"load-{startedUtc.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}.md");

    /// <summary>The file system type (e.g. ext4, tmpfs) of the mount holding <paramref name="path"/>, from /proc/mounts.</summary>
    private static string FileSystemOf(string path)
    {
        var best = ("", "?");
        foreach (var line in File.ReadLines("/proc/mounts"))
        {
            var fields = line.Split(' ');
            if (fields.Length > 2 && (path == fields[1] || path.StartsWith(fields[1].TrimEnd('/') + "/", StringComparison.Ordinal)) && fields[1].Length >= best.Item1.Length)
            {
                best = (fields[1], fields[2]);
            }
        }

        return $"{best.Item2} mounted at {best.Item1}";
    }

    private static string FirstLine(string text) => text.Split('\n')[0];
}
