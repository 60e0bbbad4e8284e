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
            await SendAllAsync(sender, peer, sent);
        }

        await using var next = await TestClients.ConnectAsync(prosody.Server, senderAccount);
        var lookup = Lookup(next, new SentPosition(acceptedAt, null));

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
            cursor = await CursorAsync(peer, sender);
            await SendAllAsync(sender, peer, sent);

            // Then the peer goes on sending while the gateway is away: more than the bound below behind them.
            await SendAllAsync(peer, sender, Chats(sender.Jid.Bare, "after", 130));
        }

        await using var next = await TestClients.ConnectAsync(prosody.Server, senderAccount);
        var acceptedAt = DateTimeOffset.UtcNow.AddMinutes(-1);
        const int TwoPages = 2; // 100 archived messages: fewer than the 130 after them

        Assert.Empty(await Lookup(next, new SentPosition(acceptedAt, null), TwoPages).FindHandledAsync(next, sent, Token));
        Assert.Equal(sent.Select(m => m.Id).Order(), (await Lookup(next, new SentPosition(acceptedAt, cursor), TwoPages).FindHandledAsync(next, sent, Token)).Order());
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
            // The session's cursor lagged: much arrived between it and the sends, and more while they went out.
            cursor = await CursorAsync(peer, sender);
            await SendAllAsync(peer, sender, Chats(sender.Jid.Bare, "between", 120));
            var mixed = Chats(sender.Jid.Bare, "mixed", sent.Length);
            for (var i = 0; i < sent.Length; i++)
            {
                await sender.SendAsync(sent[i], Token);
                await peer.SendAsync(mixed[i], Token);
            }

            await peer.ReceiveAsync<Message>(m => m.Id == sent[^1].Id);
            await sender.ReceiveAsync<Message>(m => m.Id == mixed[^1].Id);
        }

        await using var next = await TestClients.ConnectAsync(prosody.Server, senderAccount);

        var found = await Lookup(next, new SentPosition(DateTimeOffset.UtcNow.AddMinutes(-1), cursor), maxPages: 4).FindHandledAsync(next, sent, Token);

        Assert.Equal(sent.Select(m => m.Id).Order(), found.Order());
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
            await SendAllAsync(sender, peer, sent);
        }

        await using var next = await TestClients.ConnectAsync(prosody.Server, senderAccount);
        var lookup = Lookup(next, new SentPosition(DateTimeOffset.UtcNow.AddMinutes(-1), "no-such-archive-id"));

        Assert.Equal(sent.Select(m => m.Id).Order(), (await lookup.FindHandledAsync(next, sent, Token)).Order());
    }

    [Fact]
    [Trait("Spec", "XEP-0313")]
    public async Task FindHandled_OnlyPresenceUnconfirmed_AsksNothing()
    {
        var account = await prosody.CreateAccountAsync("sender", Token);
        await using var next = await TestClients.ConnectAsync(prosody.Server, account);
        var lookup = Lookup(next, new SentPosition(DateTimeOffset.UtcNow, null));

        var found = await lookup.FindHandledAsync(next, [new Presence { Id = "p1" }], Token);

        Assert.Empty(found);
    }

    private static SentMessageLookup Lookup(XmppClient next, SentPosition position, int maxPages = SentMessageLookup.DefaultMaxPages) =>
        new(new ArchiveQueries(next.Jid), _ => position, TestClients.Patience, NullLogger.Instance, "t", "s", maxPages);

    /// <summary>The session's cursor: the archive id of the newest message the sender received.</summary>
    private static async Task<string> CursorAsync(XmppClient peer, XmppClient sender)
    {
        await peer.SendAsync(new Message { To = sender.Jid.Bare, Type = MessageType.Chat, Id = "before", Body = "before" }, Token);
        var before = await sender.ReceiveAsync<Message>(m => m.Id == "before");
        return ReceiptElements.FindStanzaId(before, sender.Jid.Bare) ?? throw new InvalidOperationException("Prosody stamped no stanza-id: is mod_mam loaded?");
    }

    /// <summary>Sends the messages in order and waits until the last has arrived (and so is archived).</summary>
    private static async Task SendAllAsync(XmppClient from, XmppClient to, IReadOnlyList<Message> messages)
    {
        foreach (var message in messages)
        {
            await from.SendAsync(message, Token);
        }

        await to.ReceiveAsync<Message>(m => m.Id == messages[^1].Id);
    }

    private static Message[] Chats(Jid to, string prefix, int count) =>
        [.. Enumerable.Range(0, count).Select(i => new Message { To = to, Type = MessageType.Chat, Id = $"{prefix}-{i}", Body = prefix })];

    private static Message Outgoing(Jid to, string id) => new()
    {
        To = to,
        Type = MessageType.Chat,
        Id = id,
        Body = "body of " + id,
        Payload = [new XElement(ReceiptElements.OriginId, new XAttribute("id", id))],
    };
}
