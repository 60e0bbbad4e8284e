using Gateway.Tests.Integration.Client;
using Gateway.Tests.Integration.Prosody;
using Gateway.Xmpp;
using Gateway.Xmpp.Client;
using Gateway.Xmpp.StreamManagement;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Client;

/// <summary>The reconnecting client against a real Prosody: how it stops.</summary>
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
}
