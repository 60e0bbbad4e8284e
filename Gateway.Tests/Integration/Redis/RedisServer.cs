using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Gateway.Tests.Integration.Prosody;

namespace Gateway.Tests.Integration.Redis;

/// <summary>
/// A private Redis: Debian's <c>redis-server</c> as a child process on a free loopback port, with a password
/// (<c>requirepass</c>), no persistence (no RDB snapshots, no AOF) and its files in a fresh temp directory. Dispose
/// kills it and deletes the directory.
/// </summary>
/// <remarks>
/// It runs under a small shell watchdog that kills it when the test host is gone: <see cref="AppDomain.ProcessExit"/>
/// covers a host that exits, the watchdog a host that is killed (SIGKILL runs no handler). Not PR_SET_PDEATHSIG
/// (<c>setpriv --pdeathsig</c>): it fires when the forking thread exits, and .NET retires idle thread-pool threads.
/// </remarks>
public sealed class RedisServer : IAsyncDisposable
{
    private const string InstallHint =
        "redis-server is not installed. Run scripts/test.sh (it installs Debian's redis-server when missing), " +
        "or `apt-get install -y redis-server` yourself. The cluster tests never skip.";

    private readonly Process _process;
    private int _disposed;

    private RedisServer(Process process, string directory, int port, string password)
    {
        _process = process;
        DirectoryPath = directory;
        Port = port;
        Password = password;
    }

    public int Port { get; }

    /// <summary>The <c>requirepass</c> password: random, hex.</summary>
    public string Password { get; }

    public string DirectoryPath { get; }

    public string LogPath => Path.Combine(DirectoryPath, "redis.log");

    /// <summary>redis-server's process id (the load tool meters its CPU).</summary>
    public int ProcessId => _process.Id;

    /// <summary>A StackExchange.Redis configuration string for this server, password included.</summary>
    public string ConnectionString => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)},password={Password},abortConnect=false";

    public static async Task<RedisServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var directory = Directory.CreateTempSubdirectory("gateway-redis-").FullName;
        var port = LocalProcesses.FreeLoopbackPort();
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var config = Path.Combine(directory, "redis.conf");
        await File.WriteAllTextAsync(config, string.Join('\n',
            "bind 127.0.0.1",
            $"port {port.ToString(CultureInfo.InvariantCulture)}",
            "protected-mode yes",
            $"requirepass {password}",
            "save \"\"",
            "appendonly no",
            $"dir {directory}",
            $"logfile {Path.Combine(directory, "redis.log")}",
            "daemonize no",
            ""), cancellationToken);

        // sh starts redis-server, then polls that the test host still lives; when it does not, it kills redis.
        var startInfo = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = directory,
        };
        startInfo.ArgumentList.Add("-c");
        startInfo.ArgumentList.Add(
            "command -v redis-server >/dev/null || exit 127; redis-server \"$1\" & child=$!; " +
            "while kill -0 \"$2\" 2>/dev/null && kill -0 \"$child\" 2>/dev/null; do sleep 1; done; kill -9 \"$child\" 2>/dev/null");
        startInfo.ArgumentList.Add("redis-watchdog");
        startInfo.ArgumentList.Add(config);
        startInfo.ArgumentList.Add(Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        var process = Process.Start(startInfo) ?? throw new InvalidOperationException("Could not start /bin/sh for redis-server.");
        var server = new RedisServer(process, directory, port, password);
        AppDomain.CurrentDomain.ProcessExit += server.OnHostExit;
        try
        {
            await server.WaitUntilReadyAsync(cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        AppDomain.CurrentDomain.ProcessExit -= OnHostExit;
        LocalProcesses.KillTree(_process);
        await _process.WaitForExitAsync(CancellationToken.None);
        _process.Dispose();
        try
        {
            Directory.Delete(DirectoryPath, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public override string ToString() => $"redis-server 127.0.0.1:{Port} dir={DirectoryPath}";

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        Exception? last = null;
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (_process.HasExited)
            {
                var output = await _process.StandardError.ReadToEndAsync(cancellationToken);
                throw new InvalidOperationException(_process.ExitCode == 127 ? InstallHint : $"redis-server exited with {_process.ExitCode}: {output}\n{LocalProcesses.ReadFileTail(LogPath, 50)}");
            }

            try
            {
                // Authenticated PING: proves the password is in force and the server answers.
                if (await SendAsync($"AUTH {Password}\r\nPING\r\n", "+PONG", cancellationToken) is { } reply && reply.StartsWith("+OK", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                last = ex;
            }

            await Task.Delay(50, cancellationToken);
        }

        throw new InvalidOperationException($"redis-server did not answer on 127.0.0.1:{Port} within 30 s.\n{LocalProcesses.ReadFileTail(LogPath, 50)}", last);
    }

    /// <summary>Sends inline commands and returns what the server answered once <paramref name="until"/> arrived.</summary>
    internal async Task<string> SendAsync(string commands, string until, CancellationToken cancellationToken)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(TimeSpan.FromSeconds(5));
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Port, attempt.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(commands), attempt.Token);
        var received = new StringBuilder();
        var buffer = new byte[4096];
        while (!received.ToString().Contains(until, StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, attempt.Token);
            if (read == 0)
            {
                break;
            }

            received.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        return received.ToString();
    }

    private void OnHostExit(object? sender, EventArgs e)
    {
        try
        {
            LocalProcesses.KillTree(_process);
        }
        catch (InvalidOperationException)
        {
        }
    }
}
