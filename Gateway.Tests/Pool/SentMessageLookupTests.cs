using System.Xml.Linq;
using Gateway.Tests.Integration.Client;
using Gateway.Tests.Integration.Prosody;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Pool;

/// <summary>
/// Finding sent messages in the account's own archive (XEP-0313) by their XEP-0359 origin-id, against a real Prosody:
/// what settles stanzas of unknown fate after a failed resumption or a gateway restart without sending them twice.
/// </summary>
[Trait("Tier", "Integration")]
public sealed class SentMessageLookupTests(ProsodyFixture prosody)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    [Trait("Spec", "XEP-0313, XEP-0359 §3.3")]
    public async Task FindHandled_SomeSentSomeNot_FindsExactlyTheSentOnes()
    {
        var (senderAccount, peerAccount) = (await prosody.CreateAccountAsync("sender", Token), await prosody.CreateAccountAsync("peer", Token));
        await using var peer = await TestClients.ConnectOnlineAsync(prosody.Server, peerAccount);
        var sent = Enumerable.Range(0, 120).Select(i => Outgoing(peer.Jid.Bare, $"sent-{i}")).ToArray();
        var neverSent = Enumerable.Range(0, 5).Select(i => Outgoing(peer.Jid.Bare, $"lost-{i}")).ToArray();
        var acceptedAt = DateTimeOffset.UtcNow;
        await using (var sender = await TestClients.ConnectOnlineAsync(prosody.Server, senderAccount))
        {
            foreach (var message in sent)
            {
                await sender.SendAsync(message, Token);
            }

            await peer.ReceiveAsync<Message>(m => m.Id == "sent-119");
        }

        await using var next = await TestClients.ConnectAsync(prosody.Server, senderAccount);
        var lookup = new SentMessageLookup(new ArchiveQueries(next.Jid), _ => acceptedAt, TestClients.Patience, NullLogger.Instance, "t", "s");

        // The newest unconfirmed ones, as a failed resumption leaves them: more than one page back from the end.
        var unconfirmed = sent[^70..].Concat(neverSent).ToArray();
        var found = await lookup.FindHandledAsync(next, unconfirmed, Token);

        Assert.Equal(sent[^70..].Select(m => m.Id).Order(), found.Order());
    }

    [Fact]
    [Trait("Spec", "XEP-0313")]
    public async Task FindHandled_OnlyPresenceUnconfirmed_AsksNothing()
    {
        var account = await prosody.CreateAccountAsync("sender", Token);
        await using var next = await TestClients.ConnectAsync(prosody.Server, account);
        var lookup = new SentMessageLookup(new ArchiveQueries(next.Jid), _ => DateTimeOffset.UtcNow, TestClients.Patience, NullLogger.Instance, "t", "s");

        var found = await lookup.FindHandledAsync(next, [new Presence { Id = "p1" }], Token);

        Assert.Empty(found);
    }

    private static Message Outgoing(Jid to, string id) => new()
    {
        To = to,
        Type = MessageType.Chat,
        Id = id,
        Body = "body of " + id,
        Payload = [new XElement(ReceiptElements.OriginId, new XAttribute("id", id))],
    };
}
