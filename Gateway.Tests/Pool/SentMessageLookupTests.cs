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
        var lookup = new SentMessageLookup(new ArchiveQueries(next.Jid), _ => new SentPosition(acceptedAt, null), TestClients.Patience, NullLogger.Instance, "t", "s");

        // The newest unconfirmed ones, as a failed resumption leaves them: more than one page back from the end.
        var unconfirmed = sent[^70..].Concat(neverSent).ToArray();
        var found = await lookup.FindHandledAsync(next, unconfirmed, Token);

        Assert.Equal(sent[^70..].Select(m => m.Id).Order(), found.Order());
    }

    [Fact]
    [Trait("Spec", "XEP-0313 §4.1.2, XEP-0059")]
    public async Task FindHandled_MoreArchivedAfterThemThanThePageBound_FoundForwardsFromTheCursor()
    {
        var (senderAccount, peerAccount) = (await prosody.CreateAccountAsync("sender", Token), await prosody.CreateAccountAsync("peer", Token));
        await using var peer = await TestClients.ConnectOnlineAsync(prosody.Server, peerAccount);
        var sent = Enumerable.Range(0, 20).Select(i => Outgoing(peer.Jid.Bare, $"sent-{i}")).ToArray();
        string cursor;
        await using (var sender = await TestClients.ConnectOnlineAsync(prosody.Server, senderAccount))
        {
            // The session's cursor when it accepted them: the archive id of the newest message it had received.
            await peer.SendAsync(new Message { To = sender.Jid.Bare, Type = MessageType.Chat, Id = "before", Body = "before" }, Token);
            var before = await sender.ReceiveAsync<Message>(m => m.Id == "before");
            cursor = ReceiptElements.FindStanzaId(before, sender.Jid.Bare) ?? throw new InvalidOperationException("Prosody stamped no stanza-id: is mod_mam loaded?");
            foreach (var message in sent)
            {
                await sender.SendAsync(message, Token);
            }

            await peer.ReceiveAsync<Message>(m => m.Id == "sent-19");

            // Then the peer goes on sending while the gateway is away: more than the bound below behind them.
            for (var i = 0; i < 130; i++)
            {
                await peer.SendAsync(new Message { To = sender.Jid.Bare, Type = MessageType.Chat, Id = $"after-{i}", Body = "after" }, Token);
            }

            await sender.ReceiveAsync<Message>(m => m.Id == "after-129");
        }

        await using var next = await TestClients.ConnectAsync(prosody.Server, senderAccount);
        var acceptedAt = DateTimeOffset.UtcNow.AddMinutes(-1);
        const int TwoPages = 2; // 100 archived messages: fewer than the 130 after them

        var fromEnd = new SentMessageLookup(new ArchiveQueries(next.Jid), _ => new SentPosition(acceptedAt, null), TestClients.Patience, NullLogger.Instance, "t", "s", maxPages: TwoPages);
        Assert.Empty(await fromEnd.FindHandledAsync(next, sent, Token));

        var fromCursor = new SentMessageLookup(new ArchiveQueries(next.Jid), _ => new SentPosition(acceptedAt, cursor), TestClients.Patience, NullLogger.Instance, "t", "s", maxPages: TwoPages);
        Assert.Equal(sent.Select(m => m.Id).Order(), (await fromCursor.FindHandledAsync(next, sent, Token)).Order());
    }

    [Fact]
    [Trait("Spec", "XEP-0313 §4.1.2, XEP-0059")]
    public async Task FindHandled_ManyArchivedBetweenTheCursorAndThem_FoundOnLaterForwardPages()
    {
        var (senderAccount, peerAccount) = (await prosody.CreateAccountAsync("sender", Token), await prosody.CreateAccountAsync("peer", Token));
        await using var peer = await TestClients.ConnectOnlineAsync(prosody.Server, peerAccount);
        var sent = Enumerable.Range(0, 20).Select(i => Outgoing(peer.Jid.Bare, $"sent-{i}")).ToArray();
        string cursor;
        await using (var sender = await TestClients.ConnectOnlineAsync(prosody.Server, senderAccount))
        {
            await peer.SendAsync(new Message { To = sender.Jid.Bare, Type = MessageType.Chat, Id = "before", Body = "before" }, Token);
            cursor = ReceiptElements.FindStanzaId(await sender.ReceiveAsync<Message>(m => m.Id == "before"), sender.Jid.Bare)!;

            // The session's cursor lagged: much arrived between it and the sends.
            for (var i = 0; i < 120; i++)
            {
                await peer.SendAsync(new Message { To = sender.Jid.Bare, Type = MessageType.Chat, Id = $"between-{i}", Body = "between" }, Token);
            }

            await sender.ReceiveAsync<Message>(m => m.Id == "between-119");
            for (var i = 0; i < sent.Length; i++)
            {
                await sender.SendAsync(sent[i], Token);
                await peer.SendAsync(new Message { To = sender.Jid.Bare, Type = MessageType.Chat, Id = $"mixed-{i}", Body = "mixed" }, Token);
            }

            await peer.ReceiveAsync<Message>(m => m.Id == "sent-19");
            await sender.ReceiveAsync<Message>(m => m.Id == "mixed-19");
        }

        await using var next = await TestClients.ConnectAsync(prosody.Server, senderAccount);
        var lookup = new SentMessageLookup(new ArchiveQueries(next.Jid), _ => new SentPosition(DateTimeOffset.UtcNow.AddMinutes(-1), cursor), TestClients.Patience, NullLogger.Instance, "t", "s", maxPages: 4);

        Assert.Equal(sent.Select(m => m.Id).Order(), (await lookup.FindHandledAsync(next, sent, Token)).Order());
    }

    [Fact]
    [Trait("Spec", "XEP-0313")]
    public async Task FindHandled_CursorUnknownToTheServer_SearchesFromTheEnd()
    {
        var (senderAccount, peerAccount) = (await prosody.CreateAccountAsync("sender", Token), await prosody.CreateAccountAsync("peer", Token));
        await using var peer = await TestClients.ConnectOnlineAsync(prosody.Server, peerAccount);
        var sent = Enumerable.Range(0, 3).Select(i => Outgoing(peer.Jid.Bare, $"sent-{i}")).ToArray();
        await using (var sender = await TestClients.ConnectOnlineAsync(prosody.Server, senderAccount))
        {
            foreach (var message in sent)
            {
                await sender.SendAsync(message, Token);
            }

            await peer.ReceiveAsync<Message>(m => m.Id == "sent-2");
        }

        await using var next = await TestClients.ConnectAsync(prosody.Server, senderAccount);
        var lookup = new SentMessageLookup(new ArchiveQueries(next.Jid), _ => new SentPosition(DateTimeOffset.UtcNow.AddMinutes(-1), "no-such-archive-id"), TestClients.Patience, NullLogger.Instance, "t", "s");

        Assert.Equal(sent.Select(m => m.Id).Order(), (await lookup.FindHandledAsync(next, sent, Token)).Order());
    }

    [Fact]
    [Trait("Spec", "XEP-0313")]
    public async Task FindHandled_OnlyPresenceUnconfirmed_AsksNothing()
    {
        var account = await prosody.CreateAccountAsync("sender", Token);
        await using var next = await TestClients.ConnectAsync(prosody.Server, account);
        var lookup = new SentMessageLookup(new ArchiveQueries(next.Jid), _ => new SentPosition(DateTimeOffset.UtcNow, null), TestClients.Patience, NullLogger.Instance, "t", "s");

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
