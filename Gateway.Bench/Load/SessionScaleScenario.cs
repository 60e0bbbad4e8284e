using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Gateway.Bench.Load;

/// <summary>
/// Scenario 7, session scale: many sessions (plaintext loopback, SCRAM-SHA-1) created through the REST API with a
/// fixed number of creates in flight; the gateway answers each once its session is online. Then the gateway's
/// memory, and its idle CPU over a period with nothing happening.
/// </summary>
internal sealed class SessionScaleScenario
{
    public const string Name = "scale";

    /// <summary>Time for the last logins' follow-up traffic (roster, presence) to pass before idling is measured.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(5);

    private readonly LoadContext _context;

    public SessionScaleScenario(LoadContext context) => _context = context;

    public async Task<ScaleResult> RunAsync(long fileLimit, CancellationToken cancellationToken)
    {
        var options = _context.Options;
        var api = _context.RequireApi();
        var gatewayMeter = _context.GatewayMeter ?? throw new InvalidOperationException("The gateway is not running.");
        var accounts = await _context.Prosody.CreateAccountsAsync(options.Sessions, "scale", cancellationToken);
        LoadContext.Progress($"  {Name}: {accounts.Count:N0} accounts written; creating sessions, {options.CreateConcurrency} at a time");

        var latency = new LatencyHistogram();
        var failures = new Dictionary<string, int>();
        var created = 0;
        var before = _context.TakeCpuSnapshot();
        var clock = Stopwatch.StartNew();
        await Parallel.ForAsync(
            0,
            accounts.Count,
            new ParallelOptions { MaxDegreeOfParallelism = options.CreateConcurrency, CancellationToken = cancellationToken },
            async (index, token) =>
            {
                var started = Stopwatch.GetTimestamp();
                string? failure;
                try
                {
                    var (status, problem) = await api.CreateSessionAsync($"scale-{index.ToString(CultureInfo.InvariantCulture)}", accounts[index], token);
                    failure = status == HttpStatusCode.Created ? null : $"{(int)status} {ProblemCode(problem)}";
                }
                catch (HttpRequestException ex)
                {
                    failure = "no answer: " + ex.Message;
                }
                catch (TaskCanceledException) when (!token.IsCancellationRequested)
                {
                    failure = "no answer within 2 minutes";
                }

                latency.RecordTicks(Stopwatch.GetTimestamp() - started);
                if (failure is null)
                {
                    if (Interlocked.Increment(ref created) % 1000 == 0)
                    {
                        LoadContext.Progress($"  {Name}: {created:N0} online after {clock.Elapsed.TotalSeconds:N1} s");
                    }
                }
                else
                {
                    lock (failures)
                    {
                        failures[failure] = failures.GetValueOrDefault(failure) + 1;
                    }
                }
            });
        var timeToOnline = clock.Elapsed;
        var createCpu = _context.TakeCpuSnapshot().Since(before);
        var rssAfter = gatewayMeter.ReadRssKib();
        var states = await api.CountSessionStatesAsync(cancellationToken);
        LoadContext.Progress($"  {Name}: {created:N0} of {accounts.Count:N0} created in {timeToOnline.TotalSeconds:N1} s; measuring idle CPU for {options.Idle.TotalSeconds:N0} s");

        await Task.Delay(Settle, cancellationToken);
        var idleStart = _context.TakeCpuSnapshot();
        await Task.Delay(options.Idle, cancellationToken);
        var idleCpu = _context.TakeCpuSnapshot().Since(idleStart);
        return new ScaleResult(
            accounts.Count,
            created,
            failures,
            timeToOnline,
            states,
            latency,
            createCpu,
            idleCpu,
            rssAfter,
            gatewayMeter.ReadRssKib(),
            gatewayMeter.ReadPeakRssKib(),
            _context.ProsodyMeter.ReadRssKib(),
            fileLimit);
    }

    private static string ProblemCode(string? problem)
    {
        if (problem is null)
        {
            return "";
        }

        try
        {
            using var document = JsonDocument.Parse(problem);
            return document.RootElement.TryGetProperty("code", out var code) ? code.GetString() ?? "" : "";
        }
        catch (JsonException)
        {
            return problem.Length <= 80 ? problem : problem[..80];
        }
    }
}
