using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using Gateway.Tests.Integration.Prosody;

namespace Gateway.Tests.Integration.Ejabberd;

/// <summary>
/// A private ejabberd (Debian's 23.01) instance: the Erlang VM started directly as a child process, in the foreground,
/// with a generated config, Mnesia spool, logs and certificate in a fresh temp directory, listening on free loopback
/// ports only.
/// </summary>
/// <remarks>
/// <para>
/// Not through <c>ejabberdctl foreground</c>: run as root, that script switches to the <c>ejabberd</c> system user
/// (which cannot read our temp directory), names the node <c>ejabberd@localhost</c> (one per machine) and needs epmd.
/// Instead <c>erl -noinput -mnesia dir … -s ejabberd</c> runs as the current user with the environment the script would
/// set (EJABBERD_CONFIG_PATH, EJABBERD_LOG_PATH, ERL_LIBS). The VM is not distributed (no <c>-sname</c>): no node
/// name, cookie, epmd registration or distribution port exists that parallel runs could share, and the Mnesia
/// directory is private. Accounts are therefore registered through the server's own <c>register</c> command over its
/// HTTP API (mod_http_api, loopback only), not by a second VM attaching to the node as <c>ejabberdctl register</c> does.
/// </para>
/// <para>Tests share one instance through <see cref="EjabberdFixture"/> (about 2 s of start-up per test run).</para>
/// </remarks>
public sealed class EjabberdServer : IAsyncDisposable
{
    private const int DiagnosticLines = 100;
    private const string InstallHint =
        "ejabberd is not installed. Run scripts/test.sh (it installs ejabberd with apt-get when missing), " +
        "or `apt-get install -y ejabberd` yourself. Integration tests never skip.";

    private static int s_accountCounter;

    private readonly EjabberdServerOptions _options;
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private readonly ConsoleTail _consoleTail = new(DiagnosticLines);
    private readonly HttpClient _api;
    private Process? _process;
    private bool _disposed;

    private EjabberdServer(EjabberdServerOptions options, string directory, int c2sPort, int apiPort, X509Certificate2 certificate)
    {
        _options = options;
        DirectoryPath = directory;
        C2sPort = c2sPort;
        ApiPort = apiPort;
        Certificate = certificate;
        CertificateSha256 = certificate.GetCertHashString(HashAlgorithmName.SHA256);
        _api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{apiPort}/api/"), Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>Address to connect to (ejabberd listens on loopback only).</summary>
    public string Host => "127.0.0.1";

    /// <summary>The virtual host, i.e. the XMPP domain and the TLS server name to expect.</summary>
    public string Domain => _options.Domain;

    /// <summary>Client port: STARTTLS, required.</summary>
    public int C2sPort { get; }

    /// <summary>HTTP port of the harness's API (register, status), loopback only.</summary>
    public int ApiPort { get; }

    /// <summary>The temp directory holding config, spool, logs and certificate; deleted on dispose.</summary>
    public string DirectoryPath { get; }

    public string ConfigPath => Path.Combine(DirectoryPath, "ejabberd.yml");

    /// <summary>The Mnesia directory (accounts, rosters, archive).</summary>
    public string SpoolPath => Path.Combine(DirectoryPath, "spool");

    public string LogPath => Path.Combine(DirectoryPath, "logs", "ejabberd.log");

    /// <summary>The server certificate (public part only).</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>SHA-256 of the certificate's DER bytes, uppercase hex.</summary>
    public string CertificateSha256 { get; }

    /// <summary>Whether the child process is currently running.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The exit code of the last run, once it has exited; null while running or never started.</summary>
    public int? LastExitCode { get; private set; }

    /// <summary>Accepts exactly this server's certificate: for tests that need a TLS session, not certificate validation.</summary>
    public RemoteCertificateValidationCallback TrustCertificateCallback =>
        (_, certificate, _, _) => certificate is not null &&
            string.Equals(certificate.GetCertHashString(HashAlgorithmName.SHA256), CertificateSha256, StringComparison.OrdinalIgnoreCase);

    /// <summary>Starts a new instance in a new temp directory; dispose it to stop it and delete the directory.</summary>
    public static async Task<EjabberdServer> StartAsync(EjabberdServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new EjabberdServerOptions();
        var erlangLibraries = FindErlangLibraries();

        // Memory (/dev/shm) where there is one: Mnesia writes its transaction log synchronously.
        var directory = Directory.Exists("/dev/shm")
            ? Directory.CreateDirectory(Path.Combine("/dev/shm", "gateway-ejabberd-" + Guid.NewGuid().ToString("N"))).FullName
            : Directory.CreateTempSubdirectory("gateway-ejabberd-").FullName;
        EjabberdServer? server = null;
        try
        {
            Directory.CreateDirectory(Path.Combine(directory, "spool"));
            Directory.CreateDirectory(Path.Combine(directory, "logs"));
            var certificatePath = Path.Combine(directory, "server.crt");
            var keyPath = Path.Combine(directory, "server.key");
            var certificate = TestCertificate.Create(options.Domain, certificatePath, keyPath);
            var (c2sPort, apiPort) = PickTwoFreePorts();
            server = new EjabberdServer(options, directory, c2sPort, apiPort, certificate);
            await File.WriteAllTextAsync(server.ConfigPath, EjabberdConfig.Render(options, c2sPort, apiPort, certificatePath, keyPath), cancellationToken);
            await server.StartCoreAsync(erlangLibraries, cancellationToken);
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
    /// Registers a new account with ejabberd's <c>register</c> command (what <c>ejabberdctl register</c> runs). The name is
    /// <paramref name="prefix"/> reduced to lowercase ASCII letters (default <c>user</c>) + a process-wide counter; the
    /// password is random. Safe to call concurrently.
    /// </summary>
    public async Task<TestAccount> CreateAccountAsync(string? prefix = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var kept = new string((prefix ?? "").ToLowerInvariant().Where(char.IsAsciiLetterLower).ToArray());
        var user = (kept.Length == 0 ? "user" : kept) + Interlocked.Increment(ref s_accountCounter).ToString(CultureInfo.InvariantCulture);
        var account = new TestAccount(user, Domain, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));

        using var response = await CallAsync("register", new { user = account.User, host = account.Domain, password = account.Password }, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            // The body names the account and the reason, never the password (ejabberd's message is "User … already registered" etc.).
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new InvalidOperationException($"ejabberd register {account.Bare} answered {(int)response.StatusCode}: {body}");
        }
        return account;
    }

    /// <summary>Graceful stop: SIGTERM (the VM runs init:stop), then kill if it has not exited within <see cref="EjabberdServerOptions.StopTimeout"/>.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(cancellationToken);
        try
        {
            if (_process is not { } process)
                return;
            if (!process.HasExited && !LocalProcesses.SendSigterm(process.Id))
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
            ReleaseProcess();
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>The last <paramref name="lines"/> lines of ejabberd's log file (empty if there is none yet).</summary>
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
            if (_process is { } process)
            {
                LocalProcesses.KillTree(process);
                await process.WaitForExitAsync();
                ReleaseProcess();
            }
            _api.Dispose();
            Certificate.Dispose();
            TryDeleteDirectory(DirectoryPath);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    public override string ToString() => $"ejabberd {Domain} c2s={Host}:{C2sPort} api={Host}:{ApiPort} dir={DirectoryPath}";

    private async Task StartCoreAsync(string erlangLibraries, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo("erl")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true, // never let the VM inherit (and read) the test host's stdin
            WorkingDirectory = DirectoryPath,
        };
        // What ejabberdctl exports before it starts the node (see /usr/sbin/ejabberdctl).
        startInfo.Environment["EJABBERD_CONFIG_PATH"] = ConfigPath;
        startInfo.Environment["EJABBERD_LOG_PATH"] = LogPath;
        startInfo.Environment["ERL_LIBS"] = erlangLibraries;
        startInfo.Environment["ERL_CRASH_DUMP"] = Path.Combine(DirectoryPath, "logs", "erl_crash.dump");
        startInfo.Environment["ERL_CRASH_DUMP_BYTES"] = "0";
        // ejabberd looks for contributed modules under $HOME/.ejabberd-modules; keep it away from the real home.
        startInfo.Environment["HOME"] = DirectoryPath;
        startInfo.Environment["CONTRIB_MODULES_PATH"] = Path.Combine(DirectoryPath, "modules");
        foreach (var argument in new[] { "-noinput", "-noshell", "-mnesia", "dir", $"\"{SpoolPath}\"", "-s", "ejabberd" })
            startInfo.ArgumentList.Add(argument);

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
                // ejabberd stops the VM when the application fails to start (a port in use, a config error).
                await process.WaitForExitAsync(cancellationToken);
                throw Failure($"exited during startup with code {process.ExitCode}", lastAttempt);
            }
            try
            {
                // The status command answers once the application has started, i.e. after every listener is up; the
                // stream header then proves the c2s listener negotiates.
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                attempt.CancelAfter(TimeSpan.FromSeconds(2));
                using var response = await CallAsync("status", new { }, attempt.Token);
                var status = await response.Content.ReadAsStringAsync(attempt.Token);
                if (response.IsSuccessStatusCode && status.Contains("is started", StringComparison.Ordinal))
                {
                    await ProbeC2sAsync(attempt.Token);
                    return;
                }
                lastAttempt = new InvalidOperationException($"status answered {(int)response.StatusCode}: {status}");
            }
            catch (Exception ex) when (ex is HttpRequestException or SocketException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                lastAttempt = ex;
            }
            if (clock.Elapsed > _options.StartTimeout)
                throw Failure($"was not ready on {Host}:{ApiPort} and {Host}:{C2sPort} within {_options.StartTimeout.TotalSeconds:0} s", lastAttempt);
            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }

    /// <summary>
    /// The stream features the c2s port offers after STARTTLS, i.e. before authentication (RFC 6120 §6.3.3): SASL
    /// mechanisms and, where the server implements XEP-0440, its channel binding types. Read with a raw connection so
    /// a test can compare what the library chose with what was on offer.
    /// </summary>
    public async Task<XElement> ReadFeaturesAfterStartTlsAsync(CancellationToken cancellationToken = default)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, C2sPort, cancellationToken);
        Stream stream = client.GetStream();
        await OpenStreamAsync(stream, cancellationToken);
        await stream.WriteAsync("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"u8.ToArray(), cancellationToken);
        await ReadUntilAsync(stream, "<proceed", cancellationToken);
        await using var tls = new SslStream(stream, leaveInnerStreamOpen: false, TrustCertificateCallback);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = Domain }, cancellationToken);
        var features = await OpenStreamAsync(tls, cancellationToken);
        await tls.WriteAsync("</stream:stream>"u8.ToArray(), cancellationToken);
        return features;
    }

    private async Task ProbeC2sAsync(CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, C2sPort, cancellationToken);
        var stream = client.GetStream();
        await OpenStreamAsync(stream, cancellationToken);
        await stream.WriteAsync("</stream:stream>"u8.ToArray(), cancellationToken);
    }

    /// <summary>Sends a stream header and returns the server's &lt;stream:features/&gt;.</summary>
    private async Task<XElement> OpenStreamAsync(Stream stream, CancellationToken cancellationToken)
    {
        var header = Encoding.UTF8.GetBytes(
            $"<?xml version='1.0'?><stream:stream to='{Domain}' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>");
        await stream.WriteAsync(header, cancellationToken);
        var received = await ReadUntilAsync(stream, "</stream:features>", cancellationToken);
        // The features element alone, its stream prefix declared (every child declares its own namespace).
        var start = received.IndexOf("<stream:features", StringComparison.Ordinal);
        var open = received.IndexOf('>', start);
        var inner = received[(open + 1)..received.LastIndexOf("</stream:features>", StringComparison.Ordinal)];
        return XElement.Parse($"<stream:features xmlns:stream='http://etherx.jabber.org/streams'>{inner}</stream:features>");
    }

    private static async Task<string> ReadUntilAsync(Stream stream, string marker, CancellationToken cancellationToken)
    {
        var received = new StringBuilder();
        var buffer = new byte[4096];
        bool Complete(string text) => text.IndexOf(marker, StringComparison.Ordinal) is var at and >= 0 && text.IndexOf('>', at) >= 0;
        while (!Complete(received.ToString()))
        {
            // Whole reads are fine: the server sends nothing after the marker's element until we answer (features end
            // a negotiation step, <proceed/> precedes the TLS handshake), so no byte of the next step is consumed.
            var read = await stream.ReadAsync(buffer, cancellationToken);
            if (read == 0)
                throw new IOException($"Connection closed before '{marker}'; received: {received}");
            received.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }
        return received.ToString();
    }

    /// <summary>Runs an ejabberd command through mod_http_api (POST /api/{command} with the arguments as a JSON object).</summary>
    private Task<HttpResponseMessage> CallAsync(string command, object arguments, CancellationToken cancellationToken) =>
        // Buffered, not PostAsJsonAsync: that streams the body chunked, and ejabberd_http answers chunked requests with 400.
        _api.PostAsync(command, new StringContent(JsonSerializer.Serialize(arguments), Encoding.UTF8, "application/json"), cancellationToken);

    private void ReleaseProcess()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnHostExit;
        if (_process is { } process)
        {
            LastExitCode = process.ExitCode;
            process.OutputDataReceived -= _consoleTail.OnLine;
            process.ErrorDataReceived -= _consoleTail.OnLine;
            process.Dispose();
        }
        _process = null;
    }

    // Last resort when the test host exits without disposing the fixture: do not leave the VM orphaned.
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
            $"ejabberd ({ConfigPath}) {what}.\n" +
            $"--- last {DiagnosticLines} lines of {LogPath} ---\n{ReadLogTail()}\n" +
            $"--- stdout/stderr ---\n{console}",
            inner);
    }

    /// <summary>
    /// The directory holding ejabberd's OTP applications (<c>ejabberd-23.01/ebin</c> and its dependencies), which
    /// ejabberdctl passes as ERL_LIBS: Debian installs them under the multiarch directory, e.g. /usr/lib/x86_64-linux-gnu.
    /// </summary>
    private static string FindErlangLibraries()
    {
        if (!File.Exists("/usr/sbin/ejabberdctl"))
            throw new InvalidOperationException(InstallHint);
        foreach (var line in File.ReadLines("/usr/sbin/ejabberdctl"))
        {
            // ERL_LIBS='/usr/lib/x86_64-linux-gnu'
            if (line.StartsWith("ERL_LIBS=", StringComparison.Ordinal))
            {
                var value = line["ERL_LIBS=".Length..].Trim('\'', '"', ' ');
                if (Directory.Exists(value) && Directory.EnumerateDirectories(value, "ejabberd-*").Any())
                    return value;
            }
        }
        throw new InvalidOperationException("/usr/sbin/ejabberdctl names no ERL_LIBS directory holding ejabberd-*; is the Debian package installed? " + InstallHint);
    }

    private static (int First, int Second) PickTwoFreePorts()
    {
        // Both listeners stay open until both ports are known, so the ports differ.
        using var first = new TcpListener(IPAddress.Loopback, 0);
        using var second = new TcpListener(IPAddress.Loopback, 0);
        first.Start();
        second.Start();
        return (((IPEndPoint)first.LocalEndpoint).Port, ((IPEndPoint)second.LocalEndpoint).Port);
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
