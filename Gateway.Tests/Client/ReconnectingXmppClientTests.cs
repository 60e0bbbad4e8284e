using System.Net;
using Gateway.Tests.Fakes;
using Gateway.Tests.Integration.Client;
using Gateway.Tests.Integration.Prosody;
using Gateway.Tests.Support;
using Gateway.Xmpp;
using Gateway.Xmpp.Client;
using Gateway.Xmpp.Negotiation.Sasl;
using Gateway.Xmpp.StreamManagement;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Client;

/// <summary>The reconnecting client against a real Prosody: how it stops, how it logs in again.</summary>
[Trait("Tier", "Integration")]
public sealed class ReconnectingXmppClientTests(ProsodyFixture prosody)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task StopAsync_WhileAConnectionIsStillBeingMade_ClosesThatConnectionOnceItIsUp()
    {
        var account = await prosody.CreateAccountAsync("stopping", Token);
        var lookupStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var lookupMayEnd = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var client = new ReconnectingXmppClient(
            new ReconnectingClientOptions
            {
                Connection = TestClients.Options(prosody.Server, account),

                // The settling of unconfirmed stanzas runs inside the connect; it ignores the stop here, so the connection
                // comes up after StopAsync looked for one to close.
                LookupHandled = async (_, _, _) =>
                {
                    lookupStarted.TrySetResult();
                    await lookupMayEnd.Task;
                    return new HashSet<string>();
                },
            },
            NullLoggerFactory.Instance,
            TimeProvider.System,
            "test/stopping");
        client.ResendOnConnect(StreamHandoff.ForUnconfirmed([new Message { To = Jid.Parse(account.Bare), Type = MessageType.Chat, Id = "unconfirmed-1", Body = "to self" }], out _));
        client.Start();
        await lookupStarted.Task.WaitAsync(TestClients.Patience, Token);

        // No deadline of its own: before the fix, the stop waited for a connection nobody closed.
        var stopping = client.StopAsync(CancellationToken.None);
        await Task.Yield();
        lookupMayEnd.SetResult();

        await stopping.WaitAsync(TestClients.Patience, Token);
        Assert.Equal(ConnectionState.Stopped, client.Status.State);
        Assert.Null(client.Connection);
    }

    [Fact]
    [Trait("Spec", "RFC 5802 §5.1")]
    public async Task Reconnect_AfterACut_LogsInWithTheCachedScramKey()
    {
        var account = await prosody.CreateAccountAsync("scramcache", Token);
        await using var proxy = FaultProxy.Start(new IPEndPoint(IPAddress.Loopback, prosody.Server.C2sPort));
        var keys = new ScramKeyCache();
        await using var client = new ReconnectingXmppClient(
            new ReconnectingClientOptions
            {
                Connection = TestClients.Options(prosody.Server, account) with { Host = "127.0.0.1", Port = proxy.EndPoint.Port, ScramKeyCache = keys },
                ReconnectBaseDelay = TimeSpan.FromMilliseconds(50),
            },
            NullLoggerFactory.Instance,
            TimeProvider.System,
            "test/scramcache");
        client.Start();
        await Eventually.WaitUntilAsync(() => client.Status.State == ConnectionState.Online, TestClients.Patience);
        Assert.Equal(0, keys.Hits);

        await proxy.CutAllAsync(Token);
        await proxy.WaitForConnectionsAsync(2, TestClients.Patience, Token);
        await Eventually.WaitUntilAsync(() => client.Status.State == ConnectionState.Online && client.Connection is not null, TestClients.Patience);

        // The second login proved the password to Prosody (SCRAM-SHA-1, internal_hashed) with the key of the first.
        Assert.Equal(1, keys.Hits);
    }
}
