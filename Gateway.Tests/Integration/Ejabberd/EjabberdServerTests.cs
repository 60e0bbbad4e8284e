using System.Net;
using System.Net.Sockets;
using Gateway.Xmpp;

namespace Gateway.Tests.Integration.Ejabberd;

/// <summary>The harness itself: instances that never share state, and a graceful stop.</summary>
[Trait("Tier", "Integration")]
[Collection(EjabberdCollection.Name)]
public sealed class EjabberdServerTests(EjabberdFixture ejabberd)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task StartAsync_BesideTheSharedServer_OwnPortsAndAccounts_SigtermStopsCleanly()
    {
        await using var own = await EjabberdServer.StartAsync(cancellationToken: Token);
        var account = await own.CreateAccountAsync("own", Token);

        Assert.NotEqual(ejabberd.Server.C2sPort, own.C2sPort);
        Assert.NotEqual(ejabberd.Server.DirectoryPath, own.DirectoryPath);
        await using (var client = await EjabberdClients.ConnectAsync(own, account))
        {
            Assert.Equal(account.Bare, client.Jid.Bare.ToString());
        }

        // A private Mnesia directory: the shared server has never heard of the account.
        var elsewhere = await Assert.ThrowsAsync<SaslFailedException>(() => EjabberdClients.ConnectAsync(ejabberd.Server, account));
        Assert.Equal("not-authorized", elsewhere.Condition);

        // SIGTERM: the VM runs init:stop and exits 0, closing its listeners; nothing had to be killed.
        await own.StopAsync(Token);

        Assert.False(own.IsRunning);
        Assert.Equal(0, own.LastExitCode);
        using var probe = new TcpClient();
        await Assert.ThrowsAsync<SocketException>(async () => await probe.ConnectAsync(IPAddress.Loopback, own.C2sPort, Token));
    }
}
