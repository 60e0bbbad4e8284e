using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Gateway.Tests.Integration.Prosody;

namespace Gateway.Bench.Load;

/// <summary>
/// The gateway under test as a separate process (<c>dotnet Gateway.Api.dll</c>), configured through environment
/// variables only: one tenant with a random API key, host override allowed, session limits raised, its SQLite store
/// in a fresh directory on the real disk, logging at Warning, listening on a free loopback port. Its console output
/// goes to a log file in that directory.
/// </summary>
internal sealed class GatewayProcess : IAsyncDisposable
{
    private const string Tenant = "load";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly bool _keepDirectory;
    private int _warnings;
    private int _errors;
    private int _startupWarnings = -1;
    private string? _firstStartupWarning;
    private bool _expectWarningText;
    private bool _logClosed; // guarded by _log

    private GatewayProcess(Process process, string directory, int port, string apiKey, StreamWriter log, bool keepDirectory)
    {
        _process = process;
        DirectoryPath = directory;
        BaseAddress = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/");
        Endpoint = new IPEndPoint(IPAddress.Loopback, port);
        ApiKey = apiKey;
        _log = log;
        _keepDirectory = keepDirectory;
    }

    public Uri BaseAddress { get; }

    public IPEndPoint Endpoint { get; }

    /// <summary>The tenant's API key (random per run).</summary>
    public string ApiKey { get; }

    public int ProcessId => _process.Id;

    /// <summary>The store, key ring and console log of this run.</summary>
    public string DirectoryPath { get; }

    public string LogPath => Path.Combine(DirectoryPath, "gateway.log");

    /// <summary>
    /// Warnings, and errors or critical failures, the gateway logged after it started answering; warnings logged while
    /// it started (e.g. Data Protection's note that its keys are stored unencrypted) are counted apart, with the first one.
    /// </summary>
    public (int Warnings, int Errors, int StartupWarnings, string? FirstStartupWarning) LoggedProblems
    {
        get
        {
            var startup = Math.Max(0, Volatile.Read(ref _startupWarnings));
            return (Volatile.Read(ref _warnings) - startup, Volatile.Read(ref _errors), startup, _firstStartupWarning);
        }
    }

    /// <summary>Starts the gateway with a random API key (see the overload).</summary>
    public static Task<GatewayProcess> StartAsync(string dllPath, int maxSessions, bool keepDirectory, IReadOnlyList<KeyValuePair<string, string>> settings, CancellationToken cancellationToken) =>
        StartAsync(dllPath, maxSessions, keepDirectory, settings, apiKey: null, cancellationToken);

    /// <summary>Starts the gateway and waits until <c>/health</c> answers.</summary>
    /// <param name="dllPath">Gateway.Api.dll, built in Release.</param>
    /// <param name="maxSessions">The pool's and the tenant's session limit.</param>
    /// <param name="keepDirectory">Leave the store and log behind after the run (for a look afterwards).</param>
    /// <param name="settings">
    /// Configuration keys (<c>Gateway:…</c>) on top of the tool's own; <c>{port}</c> in a value stands for the port this
    /// process listens on (a cluster node's advertised address).
    /// </param>
    /// <param name="apiKey">The tenant's API key; null for a random one (the nodes of a cluster share theirs).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<GatewayProcess> StartAsync(
        string dllPath, int maxSessions, bool keepDirectory, IReadOnlyList<KeyValuePair<string, string>> settings, string? apiKey, CancellationToken cancellationToken)
    {
        if (!File.Exists(dllPath))
        {
            throw new FileNotFoundException($"The gateway is not built: {dllPath} (dotnet build Gateway.Api -c Release).", dllPath);
        }

        // The real disk, not /dev/shm: the gateway's store is part of what is measured.
        var directory = Directory.CreateTempSubdirectory("gateway-load-").FullName;
        apiKey ??= Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var port = LocalProcesses.FreeLoopbackPort();
        var startInfo = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = directory,
        };
        startInfo.ArgumentList.Add(dllPath);
        startInfo.ArgumentList.Add("--urls");
        startInfo.ArgumentList.Add($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        // The content root holds the shipped appsettings.json (production defaults); the working directory is the
        // run's own. The build output has no wwwroot: point at the project's, so the demo page's files exist.
        var binaries = Path.GetDirectoryName(Path.GetFullPath(dllPath))!;
        startInfo.ArgumentList.Add("--contentRoot");
        startInfo.ArgumentList.Add(binaries);
        var webRoot = Path.GetFullPath(Path.Combine(binaries, "..", "..", "..", "wwwroot"));
        if (Directory.Exists(webRoot))
        {
            startInfo.ArgumentList.Add("--webroot");
            startInfo.ArgumentList.Add(webRoot);
        }
        var environment = startInfo.Environment;
        foreach (var inherited in environment.Keys.Where(k => k.StartsWith("ASPNETCORE_", StringComparison.Ordinal) || k.StartsWith("Gateway__", StringComparison.Ordinal)).ToList())
        {
            environment.Remove(inherited);
        }

        environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        environment["DOTNET_ENVIRONMENT"] = "Production";
        environment["Logging__LogLevel__Default"] = "Warning";
        environment["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning";
        environment["Gateway__Tenants__0__Name"] = Tenant;
        environment["Gateway__Tenants__0__ApiKeySha256__0"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(apiKey)));
        environment["Gateway__Pool__AllowHostOverride"] = "true";
        environment["Gateway__Pool__MaxSessions"] = maxSessions.ToString(CultureInfo.InvariantCulture);
        environment["Gateway__Pool__MaxSessionsPerTenant"] = maxSessions.ToString(CultureInfo.InvariantCulture);
        // One tenant drives the whole load: its request rate limit would measure the limit, not the gateway.
        environment["Gateway__RateLimits__Enabled"] = "false";
        environment["Gateway__Storage__Path"] = Path.Combine(directory, "gateway.db");
        environment["Gateway__DataProtection__AllowUnprotectedKeys"] = "true";

        // The run's own settings (--gateway-setting), last: inherited Gateway__ variables were dropped above, so a
        // comparison names every difference on its command line.
        foreach (var (key, value) in settings)
        {
            environment[key.Replace(":", "__", StringComparison.Ordinal)] = value.Replace("{port}", port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        }

        var log = new StreamWriter(Path.Combine(directory, "gateway.log"), append: false, Encoding.UTF8) { AutoFlush = true };
        var process = new Process { StartInfo = startInfo };
        GatewayProcess? gateway = null;
        try
        {
            process.Start();
            process.StandardInput.Close();
            gateway = new GatewayProcess(process, directory, port, apiKey, log, keepDirectory);
            process.OutputDataReceived += gateway.OnOutput;
            process.ErrorDataReceived += gateway.OnOutput;
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            await gateway.WaitUntilHealthyAsync(cancellationToken);
            Volatile.Write(ref gateway._startupWarnings, Volatile.Read(ref gateway._warnings));
            return gateway;
        }
        catch
        {
            if (gateway is not null)
            {
                await gateway.DisposeAsync();
            }
            else
            {
                process.Dispose();
                await log.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>The last lines of the gateway's console log.</summary>
    public string ReadLogTail(int lines = 40)
    {
        lock (_log)
        {
            if (!_logClosed)
            {
                _log.Flush();
            }
        }

        using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var all = reader.ReadToEnd().Split('\n');
        return string.Join('\n', all.TakeLast(lines));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // Graceful first (the host stops its sessions and the store), then kill.
            _ = LocalProcesses.SendSigterm(_process.Id);
            using var timeout = new CancellationTokenSource(StopTimeout);
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None);
            }
        }

        _process.OutputDataReceived -= OnOutput;
        _process.ErrorDataReceived -= OnOutput;
        _process.Dispose();
        lock (_log)
        {
            _logClosed = true;
            _log.Dispose();
        }

        if (!_keepDirectory)
        {
            try
            {
                Directory.Delete(DirectoryPath, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    private async Task WaitUntilHealthyAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The gateway exited with code {_process.ExitCode} while starting:\n{ReadLogTail()}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri("/health", UriKind.Relative), cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
            }

            if (clock.Elapsed > StartTimeout)
            {
                throw new TimeoutException($"The gateway did not answer /health within {StartTimeout.TotalSeconds:0} s:\n{ReadLogTail()}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }

    private void OnOutput(object sender, DataReceivedEventArgs e)
    {
        if (e.Data is not { } line)
        {
            return;
        }

        // The console logger's level prefixes: "warn: Category[id]", "fail: …", "crit: …".
        if (line.StartsWith("warn:", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _warnings);
            _expectWarningText = Volatile.Read(ref _startupWarnings) < 0 && _firstStartupWarning is null;
        }
        else if (_expectWarningText)
        {
            // The simple console formatter puts the message on the line after "warn: Category[id]".
            _firstStartupWarning = line.Trim();
            _expectWarningText = false;
        }
        else if (line.StartsWith("fail:", StringComparison.Ordinal) || line.StartsWith("crit:", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _errors);
        }

        lock (_log)
        {
            if (!_logClosed)
            {
                _log.WriteLine(line);
            }
        }
    }


}
