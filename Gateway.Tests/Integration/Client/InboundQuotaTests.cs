using System.Diagnostics;
using Gateway.Tests.Integration.Prosody;
using Gateway.Xmpp;

namespace Gateway.Tests.Integration.Client;

/// <summary>A flood from a real peer, read within the connection's inbound quota.</summary>
[Trait("Tier", "Integration")]
public sealed class InboundQuotaTests(ProsodyFixture prosody)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Incoming_FloodOverTheStanzaQuota_SlowedToTheQuotaAndNothingLost()
    {
        const int Count = 200;
        const int PerSecond = 50;
        var (alice, bob) = (await prosody.CreateAccountAsync("alice", Token), await prosody.CreateAccountAsync("bob", Token));
        await using var a = await XmppClient.ConnectAsync(TestClients.Options(prosody.Server, alice) with { InboundQuota = new InboundQuota { StanzasPerSecond = PerSecond } }, cancellationToken: Token);
        await a.GetRosterAsync(Token);
        await a.SendInitialPresenceAsync(cancellationToken: Token);
        await a.PingAsync(cancellationToken: Token);
        await using var b = await TestClients.ConnectOnlineAsync(prosody.Server, bob);

        var started = Stopwatch.StartNew();
        for (var i = 0; i < Count; i++)
        {
            await b.SendAsync(new Message { To = a.Jid, Type = MessageType.Chat, Body = $"flood {i}", Id = $"flood-{i}" }, Token);
        }

        var received = new List<string>(Count);
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(Token);
        patience.CancelAfter(TimeSpan.FromSeconds(60));
        await foreach (var stanza in a.Incoming.ReadAllAsync(patience.Token))
        {
            if (stanza is Message { Id: { } id } && id.StartsWith("flood-", StringComparison.Ordinal))
            {
                received.Add(id);
                if (received.Count == Count)
                {
                    break;
                }
            }
        }

        var elapsed = started.Elapsed;

        // Every message, in order; the first second's burst is free, the other 150 take three seconds at 50/s.
        Assert.Equal(Enumerable.Range(0, Count).Select(i => $"flood-{i}"), received);
        Assert.True(elapsed >= TimeSpan.FromSeconds(2.5), $"{Count} stanzas at {PerSecond}/s were read in {elapsed}.");
        Assert.True(a.IsConnected);
    }
}
