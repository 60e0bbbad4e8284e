using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Gateway.Tests.Integration.Prosody;

[Trait("Tier", "Integration")]
public sealed class ProsodyFixtureTests(ProsodyFixture prosody)
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(10);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    [Trait("Spec", "RFC 6120 §5.3.1")]
    public async Task C2sPort_StreamHeader_AnswersWithRequiredStartTls()
    {
        var server = prosody.Server;
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.C2sPort, Token);
        var stream = client.GetStream();

        await WriteAsync(stream, StreamHeader(server.Domain));
        var reply = await ReadUntilAsync(stream, "</stream:features>");

        Assert.Contains("<stream:stream", reply, StringComparison.Ordinal);
        Assert.Contains($"from='{server.Domain}'", reply, StringComparison.Ordinal);
        Assert.Contains("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>", reply, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Spec", "XEP-0368")]
    public async Task DirectTlsPort_TrustedByThumbprint_CompletesHandshakeAndOffersSasl()
    {
        var server = prosody.Server;
        await using var tls = await ConnectDirectTlsAsync(server);

        Assert.True(tls.IsAuthenticated);
        Assert.True(server.IsServerCertificate(tls.RemoteCertificate));
        await WriteAsync(tls, StreamHeader(server.Domain));
        var features = await ReadUntilAsync(tls, "</stream:features>");
        Assert.Contains("<mechanism>PLAIN</mechanism>", features, StringComparison.Ordinal);
        Assert.Contains("<mechanism>SCRAM-SHA-1</mechanism>", features, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DirectTlsPort_CertificateAsCustomRoot_PassesChainAndNameValidation()
    {
        var server = prosody.Server;
        var (errors, _) = await HandshakeWithCustomRootAsync(server);

        Assert.Equal(SslPolicyErrors.None, errors);
    }

    [Fact]
    public async Task StartWithMismatchedCertificateAsync_ClientValidatingName_ReportsNameMismatch()
    {
        await using var wrong = await ProsodyServer.StartWithMismatchedCertificateAsync(cancellationToken: Token);

        var (errors, exception) = await HandshakeWithCustomRootAsync(wrong);

        Assert.Equal("localhost", wrong.Domain);
        Assert.Equal(SslPolicyErrors.RemoteCertificateNameMismatch, errors);
        Assert.IsType<AuthenticationException>(exception);
    }

    [Fact]
    public async Task CreateAccountAsync_Concurrently_RegistersBothAccounts()
    {
        var server = prosody.Server;

        var accounts = await Task.WhenAll(
            prosody.CreateAccountAsync("Con-Current", Token),
            prosody.CreateAccountAsync("Con-Current", Token));

        Assert.NotEqual(accounts[0].User, accounts[1].User);
        Assert.NotEqual(accounts[0].Password, accounts[1].Password);
        foreach (var account in accounts)
        {
            Assert.StartsWith("concurrent", account.User, StringComparison.Ordinal);
            Assert.Equal($"{account.User}@localhost", account.Bare);
            Assert.True(File.Exists(Path.Combine(server.DataPath, server.Domain, "accounts", account.User + ".dat")), account.Bare);
            Assert.DoesNotContain(account.Password, account.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    [Trait("Spec", "RFC 5802 §3")]
    public async Task CreateAccountsAsync_InternalHashed_WrittenKeysLogInWithScram()
    {
        // The fixture's store is internal_hashed: the files carry SCRAM keys derived here, not by prosodyctl.
        var accounts = await prosody.Server.CreateAccountsAsync(2, "hashed", Token);

        foreach (var account in accounts)
        {
            await using var client = await Gateway.Tests.Integration.Client.TestClients.ConnectAsync(prosody.Server, account);
            Assert.Equal(account.Bare, client.Jid.Bare.ToString());
        }
    }

    [Fact]
    [Trait("Spec", "RFC 6120 §6.4.6")]
    public async Task CreateAccountAsync_WhileServerRuns_AccountCanLogInWithPlain()
    {
        var account = await prosody.CreateAccountAsync("plain", Token);

        var reply = await AuthenticatePlainAsync(prosody.Server, account);

        Assert.Contains("<success", reply, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RestartAsync_OwnServer_KeepsPortsAndAccounts()
    {
        await using var server = await ProsodyServer.StartAsync(cancellationToken: Token);
        var account = await server.CreateAccountAsync("restart", Token);
        var (c2s, directTls) = (server.C2sPort, server.DirectTlsPort);

        await server.RestartAsync(Token);

        Assert.True(server.IsRunning);
        Assert.Equal((c2s, directTls), (server.C2sPort, server.DirectTlsPort));
        Assert.Contains("<success", await AuthenticatePlainAsync(server, account), StringComparison.Ordinal);
        Assert.Contains("Received SIGTERM", server.ReadLogTail(10_000), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StopAsync_OwnServer_ClosesPortAndStartAsyncReopensIt()
    {
        await using var server = await ProsodyServer.StartAsync(new ProsodyServerOptions { LogLevel = "info" }, Token);

        await server.StopAsync(Token);

        Assert.False(server.IsRunning);
        using (var refused = new TcpClient())
            await Assert.ThrowsAsync<SocketException>(() => refused.ConnectAsync(server.Host, server.C2sPort, Token).AsTask());
        await server.StartAsync(Token);
        Assert.True(server.IsRunning);
        Assert.NotEmpty(server.ReadLogTail(5));
    }

    private static async Task<string> AuthenticatePlainAsync(ProsodyServer server, TestAccount account)
    {
        await using var tls = await ConnectDirectTlsAsync(server);
        await WriteAsync(tls, StreamHeader(server.Domain));
        await ReadUntilAsync(tls, "</stream:features>");
        var credentials = Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{account.User}\0{account.Password}"));
        await WriteAsync(tls, $"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{credentials}</auth>");
        var reply = await ReadUntilAnyAsync(tls, "<success", "</failure>");
        return reply;
    }

    private static async Task<SslStream> ConnectDirectTlsAsync(ProsodyServer server)
    {
        var client = new TcpClient();
        try
        {
            await client.ConnectAsync(server.Host, server.DirectTlsPort, Token);
            var tls = new SslStream(client.GetStream(), leaveInnerStreamOpen: false);
            await tls.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    TargetHost = server.Domain,
                    RemoteCertificateValidationCallback = server.TrustCertificateCallback,
                },
                Token);
            return tls;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    // Full validation (chain to the server's own certificate as the only root, host name = Domain) instead of a
    // thumbprint pin: what a gateway client configured with a custom CA would do.
    private static async Task<(SslPolicyErrors Errors, Exception? Exception)> HandshakeWithCustomRootAsync(ProsodyServer server)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.DirectTlsPort, Token);
        await using var tls = new SslStream(client.GetStream());
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.Add(server.Certificate);
        SslPolicyErrors? seen = null;
        try
        {
            await tls.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    TargetHost = server.Domain,
                    CertificateChainPolicy = policy,
                    RemoteCertificateValidationCallback = (_, _, _, errors) =>
                    {
                        seen = errors;
                        return errors == SslPolicyErrors.None;
                    },
                },
                Token);
            return (seen ?? SslPolicyErrors.None, null);
        }
        catch (AuthenticationException ex)
        {
            return (seen ?? throw new InvalidOperationException("Handshake failed before certificate validation.", ex), ex);
        }
    }

    private static string StreamHeader(string domain) =>
        $"<?xml version='1.0'?><stream:stream to='{domain}' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

    private static Task WriteAsync(Stream stream, string xml) => stream.WriteAsync(Encoding.UTF8.GetBytes(xml), Token).AsTask();

    private static Task<string> ReadUntilAsync(Stream stream, string marker) => ReadUntilAnyAsync(stream, marker);

    private static async Task<string> ReadUntilAnyAsync(Stream stream, params string[] markers)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(ReadTimeout);
        var received = new StringBuilder();
        var buffer = new byte[4096];
        while (!markers.Any(marker => received.ToString().Contains(marker, StringComparison.Ordinal)))
        {
            var read = await stream.ReadAsync(buffer, timeout.Token);
            if (read == 0)
                Assert.Fail($"Server closed the stream; received so far: {received}");
            received.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }
        return received.ToString();
    }
}
