using Gateway.Tests.Integration.Prosody;
using Gateway.Xmpp;

namespace Gateway.Tests.Integration.Client;

[Trait("Tier", "Integration")]
public sealed class ConnectTests(ProsodyFixture prosody)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory]
    [Trait("Spec", "RFC 6120 §6")]
    [InlineData("SCRAM-SHA-1")]
    [InlineData("PLAIN")]
    public async Task ConnectAsync_WithEachOfferedMechanism_BindsFullJidOverTls(string mechanism)
    {
        var account = await prosody.CreateAccountAsync(cancellationToken: Token);
        var options = TestClients.Options(prosody.Server, account, resource: "gw-" + mechanism) with { SaslMechanisms = [mechanism] };

        await using var client = await XmppClient.ConnectAsync(options, cancellationToken: Token);

        Assert.True(client.IsEncrypted);
        Assert.Equal(account.Bare, client.Jid.Bare.ToString());
        Assert.Equal("gw-" + mechanism, client.Jid.Resource);
        Assert.Equal(mechanism, client.SaslMechanism);
    }

    [Fact]
    [Trait("Spec", "RFC 6120 §7.6")]
    public async Task ConnectAsync_WithoutResource_ServerAssignsOne()
    {
        var account = await prosody.CreateAccountAsync(cancellationToken: Token);

        await using var client = await TestClients.ConnectAsync(prosody.Server, account);

        Assert.False(string.IsNullOrEmpty(client.Jid.Resource));
        Assert.Equal("SCRAM-SHA-1", client.SaslMechanism);
    }

    [Fact]
    [Trait("Spec", "XEP-0368")]
    public async Task ConnectAsync_DirectTls_Binds()
    {
        var account = await prosody.CreateAccountAsync(cancellationToken: Token);
        var options = TestClients.Options(prosody.Server, account) with { Port = prosody.Server.DirectTlsPort, TlsMode = TlsMode.DirectTls };

        await using var client = await XmppClient.ConnectAsync(options, cancellationToken: Token);

        Assert.True(client.IsEncrypted);
        Assert.Equal(account.Bare, client.Jid.Bare.ToString());
    }

    [Fact]
    [Trait("Spec", "RFC 6120 §6.5.10")]
    public async Task ConnectAsync_WrongPassword_ThrowsCredentialFailure()
    {
        var account = await prosody.CreateAccountAsync(cancellationToken: Token);
        var options = TestClients.Options(prosody.Server, account with { Password = account.Password + "-wrong" });

        var ex = await Assert.ThrowsAsync<SaslFailedException>(() => XmppClient.ConnectAsync(options, cancellationToken: Token));

        Assert.Equal("not-authorized", ex.Condition);
        Assert.True(ex.IsCredentialFailure);
        Assert.False(ex.IsTransient);
        Assert.DoesNotContain(account.Password, ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Spec", "RFC 6120 §13.7.2")]
    public async Task ConnectAsync_CertificateNotTrusted_ThrowsTlsError()
    {
        var account = await prosody.CreateAccountAsync(cancellationToken: Token);
        var options = TestClients.Options(prosody.Server, account) with { TrustedCertificates = null };

        var ex = await Assert.ThrowsAsync<XmppTlsException>(() => XmppClient.ConnectAsync(options, cancellationToken: Token));

        Assert.Contains("not trusted", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Spec", "RFC 6120 §13.7.2")]
    public async Task ConnectAsync_CertificateForOtherName_RefusedEvenWhenIssuerTrusted()
    {
        await using var server = await ProsodyServer.StartWithMismatchedCertificateAsync(cancellationToken: Token);
        var account = await server.CreateAccountAsync(cancellationToken: Token);
        var options = TestClients.Options(server, account);

        var ex = await Assert.ThrowsAsync<XmppTlsException>(() => XmppClient.ConnectAsync(options, cancellationToken: Token));

        Assert.Contains("does not name", ex.Message, StringComparison.Ordinal);
        Assert.False(ex.IsTransient);
    }

    [Fact]
    [Trait("Spec", "RFC 6120 §13.7.2")]
    public async Task ConnectAsync_CertificateForOtherName_AcceptedWhenPinned()
    {
        await using var server = await ProsodyServer.StartWithMismatchedCertificateAsync(cancellationToken: Token);
        var account = await server.CreateAccountAsync(cancellationToken: Token);
        var options = TestClients.Options(server, account) with { TrustedCertificates = null, PinnedCertificateSha256 = [server.CertificateSha256] };

        await using var client = await XmppClient.ConnectAsync(options, cancellationToken: Token);

        Assert.True(client.IsEncrypted);
    }

    [Fact]
    public async Task ConnectAsync_NothingListening_ThrowsTransientConnectionError()
    {
        var account = await prosody.CreateAccountAsync(cancellationToken: Token);
        var options = TestClients.Options(prosody.Server, account) with { Port = LocalProcesses.FreeLoopbackPort() };

        var ex = await Assert.ThrowsAsync<XmppConnectionException>(() => XmppClient.ConnectAsync(options, cancellationToken: Token));

        Assert.True(ex.IsTransient);
    }

    [Fact]
    [Trait("Spec", "RFC 6120 §4.4")]
    public async Task CloseAsync_Graceful_TerminatesWithoutError()
    {
        var account = await prosody.CreateAccountAsync(cancellationToken: Token);
        var client = await TestClients.ConnectAsync(prosody.Server, account);

        await client.CloseAsync(Token);

        Assert.Null(await client.Terminated.WaitAsync(TestClients.Patience, Token));
        Assert.False(client.IsConnected);
        await Assert.ThrowsAsync<XmppConnectionException>(() => client.SendAsync(new Message { To = client.Jid.Bare, Body = "late" }, Token));
        await client.DisposeAsync();
    }

    [Fact]
    [Trait("Spec", "RFC 6120 §4.9.3.3")]
    public async Task SecondLoginWithSameResource_FirstSessionEndsWithConflict()
    {
        var account = await prosody.CreateAccountAsync(cancellationToken: Token);
        await using var first = await TestClients.ConnectAsync(prosody.Server, account, resource: "same");

        await using var second = await TestClients.ConnectAsync(prosody.Server, account, resource: "same");
        var reason = await first.Terminated.WaitAsync(TestClients.Patience, Token);

        var streamError = Assert.IsType<StreamErrorException>(reason);
        Assert.Equal(StreamErrorCondition.Conflict, streamError.Condition);
        Assert.False(streamError.IsTransient);
        Assert.True(second.IsConnected);
    }

}
