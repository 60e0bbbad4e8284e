using Gateway.Tests.Fakes;
using Gateway.Xmpp;
using Gateway.Xmpp.Client;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Client;

/// <summary>A server's <c>policy-violation</c> (a ban after failed logins) delays the reconnect; it does not end the client.</summary>
[Trait("Tier", "Scripted")]
public sealed class PolicyViolationReconnectTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    [Trait("Spec", "RFC 6120 §4.9.3.14")]
    public async Task PolicyViolationAtStreamOpen_ReconnectsAfterTheLongDelayInsteadOfFailing()
    {
        await using var server = new ScriptedXmppServer();
        var statuses = new List<ConnectionStatus>();
        await using var client = new ReconnectingXmppClient(
            new ReconnectingClientOptions
            {
                Connection = ScriptedNegotiation.ClientOptions(server.Port),
                ReconnectBaseDelay = TimeSpan.FromMilliseconds(10),
                ReconnectMaxDelay = TimeSpan.FromMilliseconds(20),
                PolicyViolationDelay = TimeSpan.FromMilliseconds(300),
            },
            NullLoggerFactory.Instance,
            TimeProvider.System,
            "test/banned");
        using var listening = client.OnStatusChanged(status =>
        {
            lock (statuses)
            {
                statuses.Add(status);
            }
        });
        client.Start();

        await server.AcceptAsync(Token);
        await server.ExpectNextAsync("<stream:stream", Token);
        await server.SendAsync(ScriptedXmppServer.ServerHeader
            + "<stream:error><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
            + "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>Too many (5) failed authentications from this IP address</text></stream:error></stream:stream>", Token);
        await server.ReadToEndAsync(Token);
        var banned = DateTimeOffset.UtcNow;

        // The sentinel: a second connection. Before the fix the client failed for good and never came back.
        await server.AcceptAsync(Token).WaitAsync(TimeSpan.FromSeconds(10), Token);
        var waited = DateTimeOffset.UtcNow - banned;
        await server.ExpectNextAsync("<stream:stream", Token);

        ConnectionStatus reconnecting;
        lock (statuses)
        {
            Assert.DoesNotContain(statuses, s => s.State == ConnectionState.Failed);
            reconnecting = Assert.Single(statuses, s => s.State == ConnectionState.Reconnecting);
        }

        Assert.Equal(ConnectionFailure.PolicyViolation, reconnecting.Reason);
        Assert.True(waited >= TimeSpan.FromMilliseconds(100), $"reconnected after {waited}, sooner than half the policy-violation delay");
    }
}
