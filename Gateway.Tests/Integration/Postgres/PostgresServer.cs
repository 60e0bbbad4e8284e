using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Gateway.Tests.Integration.Prosody;
using Npgsql;

namespace Gateway.Tests.Integration.Postgres;

/// <summary>
/// A private PostgreSQL server from Debian's binaries (<c>/usr/lib/postgresql/&lt;version&gt;/bin</c>): <c>initdb</c> into a
/// fresh temp directory, <c>postgres</c> as a child process listening on a free loopback port only (its Unix socket in
/// the temp directory), password (SCRAM-SHA-256) authentication over TCP. Durability is off (<c>fsync</c>,
/// <c>synchronous_commit</c>): it holds test data only. As root (tests and CI here) the server runs as the
/// <c>postgres</c> system user, which PostgreSQL requires.
/// </summary>
/// <remarks>
/// A watchdog process (a shell reading a pipe only this process writes to) stops the server and deletes the directory
/// when the test host dies without disposing it, e.g. killed: a crashed run leaves no server behind.
/// </remarks>
public sealed class PostgresServer : IAsyncDisposable
{
    private const int DiagnosticLines = 60;
    private const string AdminUser = "gateway_admin";
    private const string InstallHint =
        "PostgreSQL is not installed. Run scripts/test.sh (it installs Debian's postgresql with apt-get when missing), " +
        "or `apt-get install -y postgresql` yourself. Integration tests never skip.";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);
    private static int s_databaseCounter;

    private readonly ConsoleTail _consoleTail = new(DiagnosticLines);
    private readonly string _adminPassword;
    private Process? _process;
    private Process? _watchdog;
    private int _disposed;

    private PostgresServer(string binDirectory, string directory, int port, string adminPassword, string userPassword)
    {
        BinDirectory = binDirectory;
        DirectoryPath = directory;
        Port = port;
        _adminPassword = adminPassword;
        UserPassword = userPassword;
    }

    /// <summary>The directory of initdb and postgres.</summary>
    public string BinDirectory { get; }

    /// <summary>The temp directory: data, socket, password file; deleted on dispose.</summary>
    public string DirectoryPath { get; }

    public string DataPath => Path.Combine(DirectoryPath, "data");

    public string Host => "127.0.0.1";

    public int Port { get; }

    /// <summary>The unprivileged role the stores connect as (owner of every database made by <see cref="CreateDatabaseAsync"/>).</summary>
    public string User => "gateway";

    public string UserPassword { get; }

    /// <summary>A superuser connection to the <c>postgres</c> database, for the fixture's own work.</summary>
    public string AdminConnectionString => ConnectionString("postgres", AdminUser, _adminPassword);

    /// <summary>Whether the server process runs.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The postmaster's process id while it runs (the load tool meters it with its backends).</summary>
    public int? ProcessId => _process is { HasExited: false } process ? process.Id : null;

    /// <summary>The newest PostgreSQL under /usr/lib/postgresql that has initdb and postgres.</summary>
    /// <exception cref="InvalidOperationException">None is installed.</exception>
    public static string FindBinDirectory()
    {
        const string root = "/usr/lib/postgresql";
        var found = Directory.Exists(root)
            ? Directory.GetDirectories(root)
                .Select(directory => (Directory: Path.Combine(directory, "bin"), Version: decimal.TryParse(Path.GetFileName(directory), NumberStyles.Number, CultureInfo.InvariantCulture, out var v) ? v : -1))
                .Where(candidate => File.Exists(Path.Combine(candidate.Directory, "initdb")) && File.Exists(Path.Combine(candidate.Directory, "postgres")))
                .OrderByDescending(candidate => candidate.Version)
                .Select(candidate => candidate.Directory)
                .FirstOrDefault()
            : null;
        return found ?? throw new InvalidOperationException($"No initdb under {root}/<version>/bin. {InstallHint}");
    }

    /// <summary>initdb, start, create the <see cref="User"/> role; dispose to stop the server and delete its directory.</summary>
    public static async Task<PostgresServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var binDirectory = FindBinDirectory();
        var directory = CreateWorkingDirectory();
        PostgresServer? server = null;
        try
        {
            server = new PostgresServer(
                binDirectory,
                directory,
                LocalProcesses.FreeLoopbackPort(),
                Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
                Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
            await server.InitializeClusterAsync(cancellationToken);
            await server.StartProcessAsync(cancellationToken);
            await server.ExecuteAdminAsync($"CREATE ROLE {server.User} LOGIN PASSWORD '{server.UserPassword}'", cancellationToken);
            return server;
        }
        catch
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }
            else
            {
                TryDeleteDirectory(directory);
            }

            throw;
        }
    }

    /// <summary>An Npgsql connection string for <paramref name="database"/> as <see cref="User"/>.</summary>
    public string ConnectionString(string database) => ConnectionString(database, User, UserPassword);

    /// <summary>A new, empty database owned by <see cref="User"/> (cheap: a copy of template0); returns its name.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "test", CancellationToken cancellationToken = default)
    {
        var name = $"{SanitizePrefix(prefix)}_{Interlocked.Increment(ref s_databaseCounter).ToString(CultureInfo.InvariantCulture)}";
        await ExecuteAdminAsync($"CREATE DATABASE {name} OWNER {User} TEMPLATE template0 ENCODING 'UTF8'", cancellationToken);
        return name;
    }

    /// <summary>Drops the database, closing what is still connected to it.</summary>
    public Task DropDatabaseAsync(string name, CancellationToken cancellationToken = default) =>
        ExecuteAdminAsync($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", cancellationToken);

    /// <summary>Runs one statement as the superuser.</summary>
    public async Task ExecuteAdminAsync(string sql, CancellationToken cancellationToken = default)
    {
        // No pooling: the fixture's few statements need no pool, and a pooled idle connection would outlive the server.
        await using var connection = new NpgsqlConnection(AdminConnectionString + ";Pooling=false");
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Closes the watchdog's pipe, as the kernel does when this process dies: the watchdog then stops the server.</summary>
    internal void CloseWatchdogPipe() => _watchdog?.StandardInput.Close();

    /// <summary>Completes when the server process has exited.</summary>
    internal Task WaitForExitAsync(CancellationToken cancellationToken) =>
        _process is { } process ? process.WaitForExitAsync(cancellationToken) : Task.CompletedTask;

    /// <summary>Fast shutdown (SIGINT: sessions ended, no checkpoint wait), kill after <see cref="StopTimeout"/>; deletes the directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        AppDomain.CurrentDomain.ProcessExit -= OnHostExit;

        // The watchdog first: its work is done here, and it must not signal a process id the system may reuse.
        if (_watchdog is { } watchdog)
        {
            LocalProcesses.KillTree(watchdog);
            await watchdog.WaitForExitAsync();
            watchdog.Dispose();
        }

        if (_process is { } process)
        {
            if (!process.HasExited && !LocalProcesses.SendSigint(process.Id))
            {
                LocalProcesses.KillTree(process);
            }

            using var timeout = new CancellationTokenSource(StopTimeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                LocalProcesses.KillTree(process);
                await process.WaitForExitAsync();
            }

            process.OutputDataReceived -= _consoleTail.OnLine;
            process.ErrorDataReceived -= _consoleTail.OnLine;
            process.Dispose();
        }

        TryDeleteDirectory(DirectoryPath);
    }

    public override string ToString() => $"PostgreSQL {Host}:{Port} dir={DirectoryPath}";

    private static bool IsRoot => Environment.IsPrivilegedProcess;

    /// <summary>In memory (/dev/shm) where there is one: the data is thrown away, and the disk is shared with other builds.</summary>
    private static string CreateWorkingDirectory()
    {
        const string memory = "/dev/shm";
        var directory = Directory.Exists(memory)
            ? Path.Combine(memory, "gateway-postgres-" + Guid.NewGuid().ToString("N"))
            : Path.Combine(Path.GetTempPath(), "gateway-postgres-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        return directory;
    }

    private string ConnectionString(string database, string user, string password) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = Host,
            Port = Port,
            Database = database,
            Username = user,
            Password = password,
            Timeout = 30,
            CommandTimeout = 60,
        }.ConnectionString;

    private async Task InitializeClusterAsync(CancellationToken cancellationToken)
    {
        var passwordFile = Path.Combine(DirectoryPath, "admin.pw");
        await File.WriteAllTextAsync(passwordFile, _adminPassword + "\n", cancellationToken);
        if (IsRoot)
        {
            // initdb and postgres refuse to run as root: the directory becomes the postgres system user's.
            await RunAsync("chown", ["-R", "postgres:postgres", DirectoryPath], cancellationToken);
        }

        // scram-sha-256 for TCP (127.0.0.1 and ::1 in the generated pg_hba.conf); trust only on the private socket.
        await RunAsync(
            Path.Combine(BinDirectory, "initdb"),
            [
                "--pgdata", DataPath, "--username", AdminUser, "--pwfile", passwordFile,
                "--auth-host", "scram-sha-256", "--auth-local", "trust",
                "--encoding", "UTF8", "--locale", "C", "--no-sync",
            ],
            cancellationToken,
            asPostgres: true);
        File.Delete(passwordFile);
    }

    private async Task StartProcessAsync(CancellationToken cancellationToken)
    {
        var startInfo = StartInfo(Path.Combine(BinDirectory, "postgres"), asPostgres: true);
        foreach (var argument in (string[])[
            "-D", DataPath,
            "-c", "listen_addresses=127.0.0.1",
            "-c", $"port={Port.ToString(CultureInfo.InvariantCulture)}",
            "-c", $"unix_socket_directories={DirectoryPath}",
            "-c", "max_connections=300",
            "-c", "shared_buffers=32MB",
            "-c", "fsync=off",
            "-c", "synchronous_commit=off",
            "-c", "full_page_writes=off",
            "-c", "logging_collector=off",
            "-c", "log_min_messages=warning"])
        {
            startInfo.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += _consoleTail.OnLine;
        process.ErrorDataReceived += _consoleTail.OnLine;
        process.Start();
        _process = process;
        AppDomain.CurrentDomain.ProcessExit += OnHostExit;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _watchdog = StartWatchdog(process.Id);
        await WaitUntilReadyAsync(process, cancellationToken);
    }

    /// <summary>
    /// A shell that blocks reading a pipe whose only writer is this process: when the test host dies, however it dies,
    /// the kernel closes the pipe, the read returns, and the shell stops the server (fast shutdown) and deletes the
    /// directory. Disposing kills the watchdog first.
    /// </summary>
    private Process StartWatchdog(int serverPid)
    {
        var pid = serverPid.ToString(CultureInfo.InvariantCulture);
        var script =
            $"read _ignored; kill -INT {pid} 2>/dev/null; " +
            $"i=0; while kill -0 {pid} 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; " +
            $"kill -KILL {pid} 2>/dev/null; rm -rf '{DirectoryPath}'";
        var startInfo = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,

            // Not the test host's own streams: a runner waiting for them to close must not wait for the watchdog.
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        startInfo.ArgumentList.Add("-c");
        startInfo.ArgumentList.Add(script);
        return Process.Start(startInfo) ?? throw new InvalidOperationException("The PostgreSQL watchdog did not start.");
    }

    private async Task WaitUntilReadyAsync(Process process, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        Exception? lastAttempt = null;
        while (true)
        {
            if (process.HasExited)
            {
                await process.WaitForExitAsync(cancellationToken);
                throw Failure($"exited during start-up with code {process.ExitCode}", lastAttempt);
            }

            try
            {
                await ExecuteAdminAsync("SELECT 1", cancellationToken);
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException && !cancellationToken.IsCancellationRequested)
            {
                // Refused until it listens; "the database system is starting up" (57P03) until recovery is done.
                lastAttempt = ex;
            }

            if (clock.Elapsed > StartTimeout)
            {
                throw Failure($"did not accept connections on {Host}:{Port} within {StartTimeout.TotalSeconds:0} s", lastAttempt);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
        }
    }

    private ProcessStartInfo StartInfo(string program, bool asPostgres)
    {
        var runAsPostgres = asPostgres && IsRoot;
        var startInfo = new ProcessStartInfo(runAsPostgres ? "setpriv" : program)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true, // never let the server inherit (and read) the test host's stdin
            WorkingDirectory = DirectoryPath,
        };
        if (runAsPostgres)
        {
            // setpriv execs the program in place (no process in between): the pid is the server's, signals reach it.
            foreach (var argument in (string[])["--reuid=postgres", "--regid=postgres", "--init-groups", "--", program])
            {
                startInfo.ArgumentList.Add(argument);
            }
        }

        return startInfo;
    }

    private async Task RunAsync(string program, IReadOnlyList<string> arguments, CancellationToken cancellationToken, bool asPostgres = false)
    {
        var startInfo = StartInfo(program, asPostgres);
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"{program} could not be started. {InstallHint}", ex);
        }

        process.StandardInput.Close();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            LocalProcesses.KillTree(process);
            throw;
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(program)} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{await stdout}{await stderr}");
        }
    }

    // Last resort when the test host exits without disposing the fixture (the watchdog covers a host that is killed).
    private void OnHostExit(object? sender, EventArgs e)
    {
        try
        {
            if (_process is { } process)
            {
                LocalProcesses.KillTree(process);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone or disposed concurrently.
        }
    }

    private InvalidOperationException Failure(string what, Exception? inner) =>
        new($"PostgreSQL ({DataPath}) {what}.\n--- stdout/stderr ---\n{_consoleTail}", inner);

    private static string SanitizePrefix(string prefix)
    {
        // Identifiers unquoted: lowercase ASCII letters only, then the counter.
        var kept = new string(prefix.ToLowerInvariant().Where(char.IsAsciiLetterLower).ToArray());
        return kept.Length == 0 ? "test" : kept;
    }

    private static void TryDeleteDirectory(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: a leftover temp dir must not fail the run.
        }
    }
}
