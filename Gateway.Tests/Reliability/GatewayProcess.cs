using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Gateway.Tests.Integration.Prosody;

namespace Gateway.Tests.Reliability;

/// <summary>
/// The gateway as a real child process: <c>dotnet Gateway.Api.dll --urls http://127.0.0.1:port</c>, configured by
/// environment variables only, on a store that outlives it. Each <see cref="StartAsync"/> starts a new process (a
/// "generation") on the same port and store, logging to its own file in <see cref="LogDirectory"/>; stop it
/// gracefully (SIGTERM) or kill it (SIGKILL) to restart it. Disposing kills whatever still runs.
/// </summary>
internal sealed class GatewayProcess : IAsyncDisposable
{
    private const int TailLines = 60;

    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly Queue<string> _tail = new(); // last lines of the current process's stdout+stderr, guarded by itself
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private readonly List<string> _logPaths = [];
    private Process? _process;
    private StreamWriter? _log;
    private bool _disposed;

    /// <param name="environment">Settings for the gateway (e.g. <c>Gateway__Tenants__0__Name</c>), on top of the inherited environment.</param>
    /// <param name="logDirectory">Where each process's stdout and stderr go (<c>gateway-1.log</c>, <c>gateway-2.log</c>, …).</param>
    /// <param name="port">The port to listen on; a free one when not given (a node that must know its own address first picks it).</param>
    public GatewayProcess(IReadOnlyDictionary<string, string> environment, string logDirectory, int? port = null)
    {
        _environment = environment;
        LogDirectory = logDirectory;
        Directory.CreateDirectory(logDirectory);
        Port = port ?? LocalProcesses.FreeLoopbackPort();
        BaseAddress = new Uri($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/");
    }

    /// <summary>The port every generation listens on, so clients find the restarted gateway where they left it.</summary>
    public int Port { get; }

    public Uri BaseAddress { get; }

    public string LogDirectory { get; }

    /// <summary>The log file of every process started so far, oldest first.</summary>
    public IReadOnlyList<string> LogPaths
    {
        get
        {
            lock (_logPaths)
            {
                return [.. _logPaths];
            }
        }
    }

    /// <summary>How many processes were started.</summary>
    public int Generation
    {
        get
        {
            lock (_logPaths)
            {
                return _logPaths.Count;
            }
        }
    }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>
    /// The gateway built with the tests: <c>&lt;repo&gt;/Gateway.Api/bin/&lt;Configuration&gt;/net10.0/Gateway.Api.dll</c>,
    /// the configuration being the one of the test assembly's own output path.
    /// </summary>
    public static string GatewayDllPath
    {
        get
        {
            var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var framework = testOutput.Name;                 // net10.0
            var configuration = testOutput.Parent?.Name;     // Release or Debug
            var root = testOutput;
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "Gateway.slnx")))
            {
                root = root.Parent;
            }

            if (root is null || configuration is null)
            {
                throw new InvalidOperationException($"No Gateway.slnx above the test assembly's directory {AppContext.BaseDirectory}: cannot find the repository root.");
            }

            var dll = Path.Combine(root.FullName, "Gateway.Api", "bin", configuration, framework, "Gateway.Api.dll");
            return File.Exists(dll)
                ? dll
                : throw new InvalidOperationException(
                    $"The gateway is not built: {dll} is missing. Build it in the tests' configuration first: dotnet build Gateway.slnx -c {configuration}");
        }
    }

    /// <summary>Starts a new process on the same port and store and waits until <c>/health/ready</c> answers 200.</summary>
    public async Task StartAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        await _lifecycle.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (IsRunning)
            {
                throw new InvalidOperationException("The gateway process is already running.");
            }

            ReleaseProcess();
            var dll = GatewayDllPath;
            string logPath;
            lock (_logPaths)
            {
                logPath = Path.Combine(LogDirectory, $"gateway-{(_logPaths.Count + 1).ToString(CultureInfo.InvariantCulture)}.log");
                _logPaths.Add(logPath);
            }

            _log = new StreamWriter(new FileStream(logPath, FileMode.Create, FileAccess.Write, FileShare.ReadWrite), Encoding.UTF8) { AutoFlush = false };
            lock (_tail)
            {
                _tail.Clear();
            }

            var startInfo = new ProcessStartInfo(DotnetHost())
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true, // never let the gateway read the test host's stdin
                WorkingDirectory = Path.GetDirectoryName(dll)!, // the content root: appsettings.json is read from here
            };
            startInfo.ArgumentList.Add(dll);
            startInfo.ArgumentList.Add("--urls");
            startInfo.ArgumentList.Add(BaseAddress.ToString().TrimEnd('/'));
            foreach (var inherited in startInfo.Environment.Keys.ToList())
            {
                // Only what this class sets configures the gateway.
                if (inherited.StartsWith("Gateway__", StringComparison.OrdinalIgnoreCase) || inherited.StartsWith("Logging__", StringComparison.OrdinalIgnoreCase)
                    || inherited.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase) || inherited.Equals("DOTNET_ENVIRONMENT", StringComparison.OrdinalIgnoreCase))
                {
                    startInfo.Environment.Remove(inherited);
                }
            }

            foreach (var (key, value) in _environment)
            {
                startInfo.Environment[key] = value;
            }

            var process = new Process { StartInfo = startInfo };
            process.OutputDataReceived += (_, e) => OnLine(e.Data, "");
            process.ErrorDataReceived += (_, e) => OnLine(e.Data, "[stderr] ");
            WriteMarker($"starting {startInfo.FileName} {string.Join(' ', startInfo.ArgumentList)}");
            process.Start();
            _process = process;
            AppDomain.CurrentDomain.ProcessExit += OnHostExit;
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            WriteMarker($"pid {process.Id.ToString(CultureInfo.InvariantCulture)}");
            await WaitUntilReadyAsync(process, timeout, cancellationToken);
            WriteMarker("ready");
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>
    /// A graceful stop, as an orchestrator does it: SIGTERM, then wait for the process to exit (the host stops the pool,
    /// which closes its sessions); killed if it has not exited within <paramref name="timeout"/>. Returns the exit code.
    /// </summary>
    public async Task<int> StopGracefullyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        await _lifecycle.WaitAsync(cancellationToken);
        try
        {
            var process = _process ?? throw new InvalidOperationException("No gateway process was started.");
            if (!process.HasExited)
            {
                WriteMarker("SIGTERM");
                if (!LocalProcesses.SendSigterm(process.Id))
                {
                    Kill(process);
                }

                using var patience = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                patience.CancelAfter(timeout);
                try
                {
                    await process.WaitForExitAsync(patience.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    WriteMarker($"did not exit within {timeout.TotalSeconds:0} s of SIGTERM: SIGKILL");
                    Kill(process);
                    await process.WaitForExitAsync(CancellationToken.None);
                }
            }
            else
            {
                await process.WaitForExitAsync(cancellationToken); // drains the redirected output
            }

            WriteMarker($"exited with code {process.ExitCode.ToString(CultureInfo.InvariantCulture)}");
            return process.ExitCode;
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>SIGKILL, without warning: nothing the process has not yet committed survives.</summary>
    public async Task KillAsync(CancellationToken cancellationToken)
    {
        await _lifecycle.WaitAsync(cancellationToken);
        try
        {
            var process = _process ?? throw new InvalidOperationException("No gateway process was started.");
            WriteMarker("SIGKILL");
            Kill(process);
            await process.WaitForExitAsync(CancellationToken.None);
            WriteMarker("killed");
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>The last lines the current (or last) process wrote, for failure messages.</summary>
    public string Tail()
    {
        lock (_tail)
        {
            return string.Join('\n', _tail);
        }
    }

    /// <summary>Every line of every process's log that <paramref name="match"/> accepts, prefixed with the log's generation.</summary>
    public IReadOnlyList<string> Grep(Func<string, bool> match)
    {
        FlushLog();
        var found = new List<string>();
        var paths = LogPaths;
        for (var i = 0; i < paths.Count; i++)
        {
            if (!File.Exists(paths[i]))
            {
                continue;
            }

            using var stream = new FileStream(paths[i], FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            while (reader.ReadLine() is { } line)
            {
                if (match(line))
                {
                    found.Add($"#{(i + 1).ToString(CultureInfo.InvariantCulture)} {line}");
                }
            }
        }

        return found;
    }

    public async ValueTask DisposeAsync()
    {
        await _lifecycle.WaitAsync();
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (_process is { } process)
            {
                Kill(process);
                await process.WaitForExitAsync(CancellationToken.None);
            }

            ReleaseProcess();
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    private async Task WaitUntilReadyAsync(Process process, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        string? last = null;
        while (true)
        {
            if (process.HasExited)
            {
                await process.WaitForExitAsync(cancellationToken);
                throw Failure($"exited during start-up with code {process.ExitCode.ToString(CultureInfo.InvariantCulture)}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri("health/ready", UriKind.Relative), cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }

                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}";
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                last = ex.Message;
            }

            if (clock.Elapsed > timeout)
            {
                Kill(process);
                await process.WaitForExitAsync(CancellationToken.None);
                throw Failure($"was not ready within {timeout.TotalSeconds:0} s (last answer of /health/ready: {last})");
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    private InvalidOperationException Failure(string what) =>
        new($"The gateway process ({GatewayDllPath} on {BaseAddress}) {what}.\nLog: {LogPaths[^1]}\n--- last {TailLines} lines ---\n{Tail()}");

    private void OnLine(string? line, string prefix)
    {
        if (line is null)
        {
            return;
        }

        lock (_tail)
        {
            _tail.Enqueue(prefix + line);
            while (_tail.Count > TailLines)
            {
                _tail.Dequeue();
            }

            _log?.WriteLine(prefix + line);
        }
    }

    private void WriteMarker(string what) =>
        OnLine($"{DateTime.UtcNow.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture)} ---- test: {what}", "");

    private void FlushLog()
    {
        lock (_tail)
        {
            _log?.Flush();
        }
    }

    private void ReleaseProcess()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnHostExit;
        if (_process is { } process)
        {
            process.WaitForExit(); // the output events have all run: nothing writes to the log any more
            process.Dispose();
        }

        _process = null;
        lock (_tail)
        {
            _log?.Dispose();
            _log = null;
        }
    }

    // Last resort when the test host exits without disposing: never leave a gateway behind.
    private void OnHostExit(object? sender, EventArgs e)
    {
        try
        {
            if (_process is { } process)
            {
                Kill(process);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone or disposed concurrently.
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(); // SIGKILL on Unix
            }
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill.
        }
    }

    /// <summary>The dotnet host that runs the tests (the SDK sets DOTNET_HOST_PATH), else the one on PATH.</summary>
    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";


}
