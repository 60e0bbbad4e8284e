using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Gateway.Tests.Integration.Prosody;

/// <summary>
/// A private Prosody 0.12 instance: <c>prosody -F</c> as a child process with a config, data dir, log and
/// self-signed certificate in a fresh temp directory, listening on free loopback ports only.
/// </summary>
/// <remarks>
/// Tests normally share one instance through <see cref="ProsodyFixture"/>. Start a separate one
/// (<c>await using var server = await ProsodyServer.StartAsync();</c>) for anything that disturbs other
/// tests: <see cref="RestartAsync"/>, <see cref="StopAsync"/>, a mismatched certificate.
/// </remarks>
public sealed class ProsodyServer : IAsyncDisposable
{
    private const int DiagnosticLines = 100;
    private const string InstallHint =
        "Prosody is not installed. Run scripts/test.sh (it installs prosody with apt-get when missing), " +
        "or `apt-get install -y prosody` yourself. Integration tests never skip.";

    private static int s_accountCounter;

    private readonly ProsodyServerOptions _options;
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private readonly SemaphoreSlim _prosodyctl = new(1, 1); // account creation is serialized, see CreateAccountAsync
    private readonly ConsoleTail _consoleTail = new(DiagnosticLines);
    private Process? _process;
    private bool _disposed;

    private ProsodyServer(ProsodyServerOptions options, string directory, int c2sPort, int directTlsPort, int? httpPort, X509Certificate2 certificate)
    {
        _options = options;
        DirectoryPath = directory;
        C2sPort = c2sPort;
        DirectTlsPort = directTlsPort;
        HttpPort = httpPort;
        Certificate = certificate;
        CertificateSha256 = certificate.GetCertHashString(HashAlgorithmName.SHA256);
    }

    /// <summary>Address to connect to (Prosody listens on loopback only).</summary>
    public string Host => "127.0.0.1";

    /// <summary>The virtual host, i.e. the XMPP domain and the TLS server name to expect.</summary>
    public string Domain => _options.Domain;

    /// <summary>The MUC component, <c>conference.</c> + <see cref="Domain"/>.</summary>
    public string MucDomain => "conference." + _options.Domain;

    /// <summary>Plain c2s port (STARTTLS, required; plaintext with <see cref="ProsodyServerOptions.PlaintextC2s"/>).</summary>
    public int C2sPort { get; }

    /// <summary>XEP-0368 direct TLS c2s port.</summary>
    public int DirectTlsPort { get; }

    /// <summary>The HTTP port (loopback), or null unless <see cref="ProsodyServerOptions.EnableHttp"/>.</summary>
    public int? HttpPort { get; }

    /// <summary>The running Prosody process's id (for CPU and memory figures), or null while it is stopped.</summary>
    public int? ProcessId => _process is { HasExited: false } process ? process.Id : null;

    /// <summary>The temp directory holding config, data, log, certificate; deleted on dispose.</summary>
    public string DirectoryPath { get; }

    public string ConfigPath => Path.Combine(DirectoryPath, "prosody.cfg.lua");

    /// <summary>Prosody's <c>data_path</c>; accounts live in <c>{DataPath}/{domain}/accounts/{user}.dat</c>.</summary>
    public string DataPath => Path.Combine(DirectoryPath, "data");

    public string LogPath => Path.Combine(DirectoryPath, "prosody.log");

    /// <summary>The server certificate, PEM.</summary>
    public string CertificatePath => Path.Combine(DirectoryPath, "server.crt");

    /// <summary>The server certificate (public part only).</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>SHA-256 of the certificate's DER bytes, uppercase hex (as <c>GetCertHashString(SHA256)</c>).</summary>
    public string CertificateSha256 { get; }

    /// <summary>Whether the child process is currently running.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>
    /// Accepts exactly this server's certificate, whatever the policy errors (self-signed, or a deliberately
    /// wrong name): for tests that need a TLS session, not certificate validation.
    /// </summary>
    public RemoteCertificateValidationCallback TrustCertificateCallback =>
        (_, certificate, _, _) => IsServerCertificate(certificate);

    /// <summary>True when <paramref name="certificate"/> is this server's certificate (SHA-256 thumbprint).</summary>
    public bool IsServerCertificate(X509Certificate? certificate) =>
        certificate is not null &&
        string.Equals(certificate.GetCertHashString(HashAlgorithmName.SHA256), CertificateSha256, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// A new directory for one server, in memory (/dev/shm) where there is one: Prosody writes its storage
    /// synchronously on its only thread, so an fsync per stored message would throttle the whole server and
    /// turn load tests into disk benchmarks.
    /// </summary>
    private static string CreateWorkingDirectory()
    {
        const string memory = "/dev/shm";
        if (!Directory.Exists(memory))
        {
            return Directory.CreateTempSubdirectory("gateway-prosody-").FullName;
        }

        var directory = Path.Combine(memory, "gateway-prosody-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        return directory;
    }

    /// <summary>Starts a new instance in a new temp directory; dispose it to stop it and delete the directory.</summary>
    public static async Task<ProsodyServer> StartAsync(ProsodyServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new ProsodyServerOptions();
        EnsureInstalled();

        var directory = CreateWorkingDirectory();
        ProsodyServer? server = null;
        try
        {
            Directory.CreateDirectory(Path.Combine(directory, "data"));
            Directory.CreateDirectory(Path.Combine(directory, "certs"));
            var certificatePath = Path.Combine(directory, "server.crt");
            var keyPath = Path.Combine(directory, "server.key");
            var certificate = TestCertificate.Create(options.CertificateName ?? options.Domain, certificatePath, keyPath);
            var ports = PickFreePorts(options.EnableHttp ? 3 : 2);
            var (c2sPort, directTlsPort) = (ports[0], ports[1]);
            int? httpPort = options.EnableHttp ? ports[2] : null;
            server = new ProsodyServer(options, directory, c2sPort, directTlsPort, httpPort, certificate);
            await File.WriteAllTextAsync(
                server.ConfigPath,
                ProsodyConfig.Render(options, directory, c2sPort, directTlsPort, httpPort, certificatePath, keyPath),
                cancellationToken);
            await server.StartAsync(cancellationToken);
            return server;
        }
        catch
        {
            if (server is not null)
                await server.DisposeAsync();
            else
                TryDeleteDirectory(directory);
            throw;
        }
    }

    /// <summary>
    /// Starts a separate instance for domain <c>localhost</c> whose certificate is issued for
    /// <paramref name="certificateName"/> only, so a client validating the name must refuse it.
    /// </summary>
    public static Task<ProsodyServer> StartWithMismatchedCertificateAsync(
        string certificateName = "wrong.example", CancellationToken cancellationToken = default) =>
        StartAsync(new ProsodyServerOptions { CertificateName = certificateName }, cancellationToken);

    /// <summary>Starts the process again after <see cref="StopAsync"/>; a no-op while it runs.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!IsRunning)
                await StartCoreAsync(cancellationToken);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Graceful stop: SIGTERM, then kill if it has not exited within <see cref="ProsodyServerOptions.StopTimeout"/>.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(cancellationToken);
        try
        {
            await StopCoreAsync(cancellationToken);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>
    /// Stops and starts the server on the same ports, data dir and certificate: every connection drops,
    /// accounts and archives survive, in-memory state (XEP-0198 resumable sessions, MUC occupants) does not.
    /// </summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            await StopCoreAsync(cancellationToken);
            await StartCoreAsync(cancellationToken);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>
    /// Registers a new account with <c>prosodyctl register</c>. The name is <paramref name="prefix"/> reduced to
    /// lowercase ASCII letters (default <c>user</c>) + a process-wide counter, e.g. <c>alice12</c>: unique, and
    /// equal to its file name. The password is random. Safe to call concurrently; works while the server runs
    /// (internal_hashed keeps accounts in files that the server reads at login).
    /// </summary>
    public async Task<TestAccount> CreateAccountAsync(string? prefix = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var user = SanitizePrefix(prefix) + Interlocked.Increment(ref s_accountCounter).ToString(CultureInfo.InvariantCulture);
        var account = new TestAccount(user, Domain, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));

        // prosodyctl writes the account file directly; serializing keeps concurrent test classes from racing
        // on Prosody's data directory and keeps a burst of registrations from forking dozens of Lua processes.
        await _prosodyctl.WaitAsync(cancellationToken);
        try
        {
            var (exitCode, output) = await RunProsodyctlAsync(["register", account.User, account.Domain, account.Password], cancellationToken);
            if (exitCode != 0)
                throw new InvalidOperationException($"prosodyctl register {account.Bare} exited with {exitCode}:\n{output}");
        }
        finally
        {
            _prosodyctl.Release();
        }
        return account;
    }

    /// <summary>
    /// Registers <paramref name="count"/> new accounts, named like <see cref="CreateAccountAsync"/>'s, by writing the
    /// account files itself, as prosodyctl would (thousands per second instead of a few): <c>internal_plain</c>
    /// (<see cref="ProsodyServerOptions.Authentication"/>) keeps the password, <c>internal_hashed</c> the SCRAM-SHA-1
    /// keys derived from it (RFC 5802 §3; the PBKDF2 runs here, in parallel, not in Prosody). Any other store registers
    /// them one by one with prosodyctl. Works while the server runs: it reads an account's file at each login.
    /// </summary>
    public async Task<IReadOnlyList<TestAccount>> CreateAccountsAsync(int count, string? prefix = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var accounts = new List<TestAccount>(count);
        var hashed = _options.Authentication == "internal_hashed";
        if (!hashed && _options.Authentication != "internal_plain")
        {
            for (var i = 0; i < count; i++)
                accounts.Add(await CreateAccountAsync(prefix, cancellationToken));
            return accounts;
        }

        // Prosody's datamanager stores <data_path>/<host>/accounts/<user>.dat, %-escaping every character of host
        // and user but [A-Za-z0-9] in lowercase hex ("local.host" -> "local%2ehost"), and the file is a Lua table.
        var directory = Path.Combine(DataPath, EscapeStoreName(Domain), "accounts");
        Directory.CreateDirectory(directory);
        var sanitized = SanitizePrefix(prefix);
        for (var i = 0; i < count; i++)
        {
            var user = sanitized + Interlocked.Increment(ref s_accountCounter).ToString(CultureInfo.InvariantCulture);
            accounts.Add(new TestAccount(user, Domain, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))));
        }
        await Parallel.ForEachAsync(accounts, cancellationToken, async (account, token) =>
            await File.WriteAllTextAsync(
                Path.Combine(directory, EscapeStoreName(account.User) + ".dat"),
                hashed ? HashedAccountFile(account.Password) : $"return {{\n\t[\"password\"] = \"{account.Password}\";\n}};\n",
                token));
        return accounts;
    }

    /// <summary>
    /// Gives an existing account a new password with <c>prosodyctl register</c>, which stores the account anew (Prosody
    /// 0.12's <c>passwd</c> does the same after asking for the password on a terminal), in files or SQL: the next login
    /// needs the new one. Streams already logged in stay up (the server closes them only when the password changes
    /// through the server process itself). Returns the account with its new password.
    /// </summary>
    public async Task<TestAccount> SetPasswordAsync(TestAccount account, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(account);
        var changed = account with { Password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)) };
        await _prosodyctl.WaitAsync(cancellationToken);
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var (exitCode, output) = await RunProsodyctlAsync(["register", changed.User, changed.Domain, changed.Password], cancellationToken);
                if (exitCode == 0)
                    return changed;

                // With SQL storage the running server may hold SQLite's write lock at that moment (a busy server
                // archiving): a second process's write then fails at once rather than waiting. Tried again shortly.
                if (attempt >= 10 || !(output.Contains("database is locked", StringComparison.Ordinal) || output.Contains("Commit failed", StringComparison.Ordinal)))
                    throw new InvalidOperationException($"prosodyctl register {changed.Bare} (new password) exited with {exitCode}:\n{output}");
                await Task.Delay(100 * attempt, cancellationToken);
            }
        }
        finally
        {
            _prosodyctl.Release();
        }
    }

    /// <summary>
    /// What prosodyctl register writes with internal_hashed (Prosody 0.12 mod_auth_internal_hashed: a UUID salt, its
    /// default 10,000 iterations, hex StoredKey and ServerKey of RFC 5802 §3).
    /// </summary>
    private static string HashedAccountFile(string password)
    {
        const int iterations = 10_000;
        var salt = Guid.NewGuid().ToString("D");
        var salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), Encoding.UTF8.GetBytes(salt), iterations, HashAlgorithmName.SHA1, 20);
        var storedKey = SHA1.HashData(HMACSHA1.HashData(salted, "Client Key"u8));
        var serverKey = HMACSHA1.HashData(salted, "Server Key"u8);
        return $"return {{\n\t[\"iteration_count\"] = {iterations.ToString(CultureInfo.InvariantCulture)};\n\t[\"salt\"] = \"{salt}\";\n" +
            $"\t[\"server_key\"] = \"{Convert.ToHexStringLower(serverKey)}\";\n\t[\"stored_key\"] = \"{Convert.ToHexStringLower(storedKey)}\";\n}};\n";
    }

    /// <summary>The last <paramref name="lines"/> lines of the Prosody log file (empty if there is none yet).</summary>
    public string ReadLogTail(int lines = DiagnosticLines) =>
        LocalProcesses.ReadFileTail(LogPath, lines);

    /// <summary>Kills the process tree (no graceful shutdown) and deletes the temp directory.</summary>
    public async ValueTask DisposeAsync()
    {
        await _lifecycle.WaitAsync();
        try
        {
            if (_disposed)
                return;
            _disposed = true;
            if (_process is not null)
            {
                LocalProcesses.KillTree(_process);
                await _process.WaitForExitAsync();
                ReleaseProcess();
            }
            Certificate.Dispose();
            TryDeleteDirectory(DirectoryPath);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    public override string ToString() => $"Prosody {Domain} c2s={Host}:{C2sPort} tls={Host}:{DirectTlsPort} dir={DirectoryPath}";

    private async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        var logOffset = File.Exists(LogPath) ? new FileInfo(LogPath).Length : 0;
        _consoleTail.Clear();

        var startInfo = new ProcessStartInfo("prosody")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true, // never let Prosody inherit (and read) the test host's stdin
            WorkingDirectory = DirectoryPath,
        };
        startInfo.ArgumentList.Add("-F");
        startInfo.ArgumentList.Add("--config");
        startInfo.ArgumentList.Add(ConfigPath);

        var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += _consoleTail.OnLine;
        process.ErrorDataReceived += _consoleTail.OnLine;
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            process.Dispose();
            throw new InvalidOperationException(InstallHint, ex);
        }
        _process = process;
        AppDomain.CurrentDomain.ProcessExit += OnHostExit;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            await WaitUntilReadyAsync(process, cancellationToken);
            // Prosody keeps running when a module fails to load or a port cannot be bound; it only logs an error.
            var errors = ReadLogErrorsSince(logOffset);
            if (errors.Count > 0)
                throw Failure("logged errors while starting:\n" + string.Join('\n', errors));
        }
        catch
        {
            LocalProcesses.KillTree(process);
            await process.WaitForExitAsync(CancellationToken.None);
            ReleaseProcess();
            throw;
        }
    }

    private async Task WaitUntilReadyAsync(Process process, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        Exception? lastAttempt = null;
        while (true)
        {
            if (process.HasExited)
            {
                await process.WaitForExitAsync(cancellationToken); // also drains stdout/stderr into the tail
                throw Failure($"exited during startup with code {process.ExitCode}", lastAttempt);
            }
            try
            {
                // Answering a stream header proves the event loop runs, not just that the socket is bound:
                // Prosody binds its ports before it has finished loading hosts and modules.
                await ProbeC2sAsync(cancellationToken);
                return;
            }
            catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                lastAttempt = ex;
            }
            if (clock.Elapsed > _options.StartTimeout)
                throw Failure($"did not answer a stream header on {Host}:{C2sPort} within {_options.StartTimeout.TotalSeconds:0} s", lastAttempt);
            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
        }
    }

    private async Task ProbeC2sAsync(CancellationToken cancellationToken)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(TimeSpan.FromSeconds(2));
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, C2sPort, attempt.Token);
        var stream = client.GetStream();
        var header = Encoding.UTF8.GetBytes(
            $"<?xml version='1.0'?><stream:stream to='{Domain}' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>");
        await stream.WriteAsync(header, attempt.Token);
        var received = new StringBuilder();
        var buffer = new byte[4096];
        while (!received.ToString().Contains("</stream:features>", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, attempt.Token);
            if (read == 0)
                throw new IOException($"Connection closed before stream features; received: {received}");
            received.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }
        await stream.WriteAsync("</stream:stream>"u8.ToArray(), attempt.Token);
    }

    private async Task StopCoreAsync(CancellationToken cancellationToken)
    {
        if (_process is null)
            return;
        var process = _process;
        if (!process.HasExited)
        {
            // Graceful first so Prosody flushes storage and removes its pidfile, like a real restart.
            if (!LocalProcesses.SendSigterm(process.Id))
                LocalProcesses.KillTree(process);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.StopTimeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                LocalProcesses.KillTree(process);
                await process.WaitForExitAsync(cancellationToken);
            }
        }
        else
        {
            await process.WaitForExitAsync(cancellationToken); // drain redirected output
        }
        ReleaseProcess();
    }

    private void ReleaseProcess()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnHostExit;
        if (_process is { } process)
        {
            process.OutputDataReceived -= _consoleTail.OnLine;
            process.ErrorDataReceived -= _consoleTail.OnLine;
            process.Dispose();
        }
        _process = null;
    }

    // Last resort when the test host exits without disposing the fixture: do not leave Prosody orphaned.
    private void OnHostExit(object? sender, EventArgs e)
    {
        try
        {
            if (_process is { } process)
                LocalProcesses.KillTree(process);
        }
        catch (InvalidOperationException)
        {
            // Already gone or disposed concurrently.
        }
    }

    private InvalidOperationException Failure(string what, Exception? inner = null)
    {
        var console = _consoleTail.ToString();
        return new InvalidOperationException(
            $"Prosody ({ConfigPath}) {what}.\n" +
            $"--- last {DiagnosticLines} lines of {LogPath} ---\n{ReadLogTail(DiagnosticLines)}\n" +
            $"--- stdout/stderr ---\n{console}",
            inner);
    }

    private List<string> ReadLogErrorsSince(long offset)
    {
        var errors = new List<string>();
        if (!File.Exists(LogPath))
            return errors;
        using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        stream.Position = Math.Min(offset, stream.Length);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (reader.ReadLine() is { } line)
        {
            // File log lines are "Mon dd hh:mm:ss source\tlevel\tmessage".
            if (line.Contains("\terror\t", StringComparison.Ordinal))
                errors.Add(line);
        }
        return errors;
    }

    private async Task<(int ExitCode, string Output)> RunProsodyctlAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo("prosodyctl")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = DirectoryPath,
        };
        startInfo.ArgumentList.Add("--config");
        startInfo.ArgumentList.Add(ConfigPath);
        foreach (var argument in arguments)
            startInfo.ArgumentList.Add(argument);

        using var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException(InstallHint, ex);
        }
        process.StandardInput.Close();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, (await stdout) + (await stderr));
        }
        catch (OperationCanceledException)
        {
            LocalProcesses.KillTree(process);
            throw;
        }
    }

    private static void EnsureInstalled()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var tool in new[] { "prosody", "prosodyctl" })
        {
            var found = path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Any(directory => File.Exists(Path.Combine(directory, tool)));
            if (!found)
                throw new InvalidOperationException($"'{tool}' not found on PATH. {InstallHint}");
        }
    }

    private static int[] PickFreePorts(int count)
    {
        // All listeners stay open until every port is known, so the ports differ.
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToArray();
        try
        {
            foreach (var listener in listeners)
                listener.Start();
            return listeners.Select(listener => ((IPEndPoint)listener.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            foreach (var listener in listeners)
                listener.Stop();
        }
    }

    // Prosody 0.12 util/datamanager.lua encode(): s:gsub("%W", "%%%02x").
    private static string EscapeStoreName(string name)
    {
        var sb = new StringBuilder(name.Length);
        foreach (var b in Encoding.UTF8.GetBytes(name))
        {
            if (char.IsAsciiLetterOrDigit((char)b))
                sb.Append((char)b);
            else
                sb.Append('%').Append(b.ToString("x2", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    private static string SanitizePrefix(string? prefix)
    {
        // Letters only: the name then splits unambiguously into prefix + counter, so it is unique (a prefix
        // "a1" with counter 23 would collide with "a12" + 3). Prosody stores accounts as {user}.dat and
        // %-escapes every character but [A-Za-z0-9] in file names; lowercase because JID localparts are.
        var kept = new string((prefix ?? "").ToLowerInvariant().Where(char.IsAsciiLetterLower).ToArray());
        return kept.Length == 0 ? "user" : kept;
    }

    private static void TryDeleteDirectory(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: a leftover temp dir must not fail the run.
        }
    }
}
