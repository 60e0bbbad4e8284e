using System.Net;
using System.Xml.Linq;
using Gateway.Tests.Api;
using Gateway.Tests.Fakes;
using Gateway.Tests.Integration.Client;
using Gateway.Xmpp;
using Gateway.Xmpp.Client;
using Gateway.Xmpp.Negotiation;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Integration.Ejabberd;

/// <summary>
/// The library and the pool against ejabberd 23.01, the second server the gateway supports: the behaviours the Prosody
/// integration tests prove, where ejabberd implements them differently (SCRAM storage with -PLUS on offer, its own
/// XEP-0198 and MAM modules, its own IQ routing).
/// </summary>
[Trait("Tier", "Integration")]
[Collection(EjabberdCollection.Name)]
public sealed class EjabberdInteropTests(EjabberdFixture ejabberd) : IAsyncDisposable
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private readonly List<IAsyncDisposable> _disposables = [];

    private EjabberdServer Server => ejabberd.Server;

    public async ValueTask DisposeAsync()
    {
        for (var i = _disposables.Count - 1; i >= 0; i--)
            await _disposables[i].DisposeAsync();
    }

    [Fact]
    [Trait("Spec", "RFC 6120 §6.3.3, RFC 7677, XEP-0440")]
    public async Task ConnectAsync_ScramOverRequiredStartTls_ValidatesCertificateAndUsesTheBestOfferedMechanism()
    {
        var account = await ejabberd.CreateAccountAsync("scram", Token);
        var offered = StreamFeatures.Parse(await Server.ReadFeaturesAfterStartTlsAsync(Token));
        // A -PLUS mechanism only when the server says it takes our binding type (XEP-0440); ejabberd 23.01 offers
        // SCRAM-SHA-256-PLUS without saying which types, so the library must fall back to SCRAM-SHA-256.
        var expected = offered.SaslMechanisms.Contains("SCRAM-SHA-256-PLUS") && offered.ChannelBindingTypes.Contains("tls-server-end-point")
            ? "SCRAM-SHA-256-PLUS"
            : "SCRAM-SHA-256";

        await using var client = await EjabberdClients.ConnectAsync(Server, account, "interop");

        Assert.Contains(expected, offered.SaslMechanisms);
        Assert.Equal(expected, client.SaslMechanism);
        Assert.True(client.IsEncrypted);
        Assert.Equal(account.Bare + "/interop", client.Jid.ToString());
        Assert.True(await client.PingAsync(cancellationToken: Token) > TimeSpan.Zero);

        // The certificate was validated, not waved through: without it in the trust store the same login fails.
        var untrusted = EjabberdClients.Options(Server, account) with { TrustedCertificates = null };
        await Assert.ThrowsAsync<XmppTlsException>(() => XmppClient.ConnectAsync(untrusted, cancellationToken: Token));
    }

    [Fact]
    [Trait("Spec", "RFC 6121 §5, XEP-0198 §4")]
    public async Task Pool_MessageRoundTripBetweenTwoAccounts_AckedAndDeliveredBothWays()
    {
        var pool = NewPool(NullLoggerFactory.Instance);
        var events = Track(new PoolEvents(pool));
        var (alice, bob) = (await ejabberd.CreateAccountAsync("alice", Token), await ejabberd.CreateAccountAsync("bob", Token));
        var aliceInfo = await pool.CreateAsync("t", EjabberdClients.Spec(Server, alice, "alice"), Token);
        var bobInfo = await pool.CreateAsync("t", EjabberdClients.Spec(Server, bob, "bob"), Token);

        var sent = await pool.Find("t", "alice")!.EnqueueAsync(new Message { To = bobInfo.BoundJid, Type = MessageType.Chat, Body = "ping from alice" }, DeliveryWait.Server, Token);
        var atBob = await events.WaitForAsync<MessageReceived>(m => m.SessionId == "bob" && m.Message.Id == sent.StanzaId);
        var reply = await pool.Find("t", "bob")!.EnqueueAsync(new Message { To = atBob.Message.From, Type = MessageType.Chat, Body = "pong from bob" }, DeliveryWait.Server, Token);
        var atAlice = await events.WaitForAsync<MessageReceived>(m => m.SessionId == "alice" && m.Message.Id == reply.StanzaId);

        Assert.True(sent.AckedByServer);
        Assert.True(reply.AckedByServer);
        Assert.Equal("ping from alice", atBob.Message.Body);
        Assert.Equal(aliceInfo.BoundJid, atBob.Message.From);
        Assert.Equal("pong from bob", atAlice.Message.Body);
        Assert.Equal(bobInfo.BoundJid, atAlice.Message.From);
    }

    [Fact]
    [Trait("Spec", "XEP-0198 §5")]
    public async Task Pool_ConnectionCut_StreamResumedWithoutLossOrDuplicates()
    {
        var logs = new TestLogSink();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        await using var proxy = FaultProxy.Start(new IPEndPoint(IPAddress.Loopback, Server.C2sPort));
        var pool = NewPool(loggerFactory);
        var events = Track(new PoolEvents(pool));
        var (account, peerAccount) = (await ejabberd.CreateAccountAsync("resume", Token), await ejabberd.CreateAccountAsync("peer", Token));
        await using var peer = await EjabberdClients.ConnectAsync(Server, peerAccount);
        await peer.SendInitialPresenceAsync(cancellationToken: Token);
        var info = await pool.CreateAsync("t", EjabberdClients.Spec(Server, account, "s", proxy.Port), Token);
        var session = pool.Find("t", "s")!;
        Assert.True(info.StreamManagement);

        var receipts = new List<Task<SendReceipt>>();
        for (var i = 0; i < 30; i++)
        {
            receipts.Add(session.EnqueueAsync(new Message { To = peer.Jid, Type = MessageType.Chat, Body = $"out-{i}", Id = $"out-{i}" }, DeliveryWait.Server, Token));
            if (i == 10)
            {
                proxy.RefuseNew = true;
                await proxy.CutAllAsync(Token);
                // Sent while the session is cut off: ejabberd keeps it for the hibernating stream.
                await peer.SendAsync(new Message { To = info.BoundJid, Type = MessageType.Chat, Body = "while-away", Id = "in-1" }, Token);
                await peer.PingAsync(cancellationToken: Token); // the server has routed in-1 before the session may come back
                proxy.RefuseNew = false;
            }
        }

        var acked = await Task.WhenAll(receipts).WaitAsync(TestClients.Patience, Token);
        Assert.All(acked, r => Assert.True(r.AckedByServer));

        // Sentinels in both directions: whatever a resumption resent twice arrives before them.
        await session.EnqueueAsync(new Message { To = peer.Jid, Type = MessageType.Chat, Body = "end", Id = "out-end" }, DeliveryWait.Server, Token);
        var outbound = await ReceiveUntilAsync(peer, "out-end");
        await peer.SendAsync(new Message { To = info.BoundJid, Type = MessageType.Chat, Body = "end", Id = "in-end" }, Token);
        await events.WaitForAsync<MessageReceived>(m => m.Message.Id == "in-end");

        Assert.Equal(Enumerable.Range(0, 30).Select(i => $"out-{i}").Append("out-end"), outbound.Where(m => m.Id?.StartsWith("out-", StringComparison.Ordinal) == true).Select(m => m.Id));
        Assert.Equal(["in-1", "in-end"], events.MessagesOf("s").Select(m => m.Message.Id));
        Assert.Equal(info.BoundJid, session.Info.BoundJid);
        Assert.Equal(2, proxy.ConnectionsAccepted - proxy.ConnectionsRefused); // the first, and the one that resumed
        // The second connection resumed the stream (XEP-0198 <resumed/>) rather than binding a new session.
        Assert.Contains(logs.Entries, e => e.EventId.Id == 2506 && e.State.Contains("Number=2", StringComparison.Ordinal) && e.State.Contains("Resumed=True", StringComparison.Ordinal));
    }

    [Fact]
    [Trait("Spec", "XEP-0359 §4, XEP-0313")]
    public async Task Pool_EjabberdMam_StanzaIdsTrustedAndReceivedMessagesCarryArchiveIds()
    {
        var (account, peerAccount) = (await ejabberd.CreateAccountAsync("sid", Token), await ejabberd.CreateAccountAsync("peer", Token));
        await using (var client = await EjabberdClients.ConnectAsync(Server, account))
        {
            var trust = new StanzaIdTrust(client.Jid, TestClients.Patience, NullLogger.Instance, "t", "probe");
            using var context = new ConnectionContext(client, 1);
            await trust.OnConnectedAsync(context, Token);
            Assert.Equal("e-1", await trust.ArchiveIdOfAsync(new Message { From = Jid.Parse(peerAccount.Bare), Type = MessageType.Chat, Body = "x", Payload = [new System.Xml.Linq.XElement(ReceiptElements.StanzaIdName, new System.Xml.Linq.XAttribute("by", client.Jid.Bare.ToString()), new System.Xml.Linq.XAttribute("id", "e-1"))] }, Token));
            Assert.True(trust.Trusted);
        }

        var pool = NewPool(NullLoggerFactory.Instance);
        var events = Track(new PoolEvents(pool));
        var info = await pool.CreateAsync("t", EjabberdClients.Spec(Server, account, "s"), Token);
        await using var peer = await EjabberdClients.ConnectAsync(Server, peerAccount);

        await peer.SendAsync(new Message { To = info.BoundJid, Type = MessageType.Chat, Body = "archived", Id = "m-1" }, Token);
        var received = await events.WaitForAsync<MessageReceived>(m => m.Message.Id == "m-1");

        Assert.NotNull(received.ArchiveId);
        Assert.Equal(ReceiptElements.FindStanzaId(received.Message, Jid.Parse(account.Bare)), received.ArchiveId);
    }

    [Fact]
    [Trait("Spec", "XEP-0313 §4, XEP-0059 §2")]
    public async Task Pool_EjabberdHistory_PagesBothWaysEachMessageOnce()
    {
        var (account, peerAccount) = (await ejabberd.CreateAccountAsync("hist", Token), await ejabberd.CreateAccountAsync("peer", Token));
        var pool = NewPool(NullLoggerFactory.Instance);
        var events = Track(new PoolEvents(pool));
        var info = await pool.CreateAsync("t", EjabberdClients.Spec(Server, account, "s"), Token);
        await using var peer = await EjabberdClients.ConnectAsync(Server, peerAccount);
        string[] sent = ["h0", "h1", "h2", "h3", "h4"];
        foreach (var id in sent)
        {
            await peer.SendAsync(new Message { To = info.BoundJid, Type = MessageType.Chat, Body = id, Id = id }, Token);
            await events.WaitForAsync<MessageReceived>(m => m.Message.Id == id);
        }

        var history = pool.Find("t", "s")!.History!;
        var with = Jid.Parse(peerAccount.Bare);
        var forwards = new List<ArchivedMessage>();
        var query = new ArchiveQuery(2) { With = with };
        while (true)
        {
            var page = await history.QueryAsync(query, Token);
            forwards.AddRange(page.Messages);
            if (page.Page.Complete || page.Messages.Count == 0)
                break;
            query = query with { After = page.Page.Last };
        }

        var backwards = new List<ArchivedMessage>();
        query = new ArchiveQuery(2) { With = with, Before = "" };
        while (true)
        {
            var page = await history.QueryAsync(query, Token);
            backwards.InsertRange(0, page.Messages);
            if (page.Page.Complete || page.Messages.Count == 0)
                break;
            query = query with { Before = page.Page.First };
        }

        Assert.Equal(sent, forwards.Select(m => m.Message.Body));
        Assert.Equal(sent, backwards.Select(m => m.Message.Body));
        Assert.Equal(forwards.Select(m => m.ArchiveId), backwards.Select(m => m.ArchiveId));
        Assert.All(forwards, m => Assert.NotNull(m.Stamp));
    }

    [Fact]
    [Trait("Spec", "RFC 6120 §6.5.10")]
    public async Task WrongPassword_NotAuthorized_OnceAndNotRetried()
    {
        var account = await ejabberd.CreateAccountAsync("wrong", Token);
        var wrong = account with { Password = account.Password + "-wrong" };

        var direct = await Assert.ThrowsAsync<SaslFailedException>(() => EjabberdClients.ConnectAsync(Server, wrong));
        Assert.Equal("not-authorized", direct.Condition);
        Assert.True(direct.IsCredentialFailure);
        Assert.False(direct.IsTransient);
        Assert.DoesNotContain(wrong.Password, direct.ToString(), StringComparison.Ordinal);

        // Through the pool: one attempt, a typed failure, and no session left behind to retry.
        await using var proxy = FaultProxy.Start(new IPEndPoint(IPAddress.Loopback, Server.C2sPort));
        var pool = NewPool(NullLoggerFactory.Instance);
        var pooled = await Assert.ThrowsAsync<SaslFailedException>(() => pool.CreateAsync("t", EjabberdClients.Spec(Server, wrong, "s", proxy.Port), Token));
        Assert.Equal("not-authorized", pooled.Condition);
        Assert.Empty(pool.List("t"));
        Assert.Equal(1, proxy.ConnectionsAccepted);
    }

    [Fact]
    [Trait("Spec", "RFC 6121 §8.5.3.1, XEP-0199")]
    public async Task Pool_StrangerPings_ServiceUnavailable_OwnResourceAnswered()
    {
        var pool = NewPool(NullLoggerFactory.Instance);
        var (account, strangerAccount) = (await ejabberd.CreateAccountAsync("private", Token), await ejabberd.CreateAccountAsync("stranger", Token));
        var info = await pool.CreateAsync("t", EjabberdClients.Spec(Server, account, "s"), Token);
        await using var stranger = await EjabberdClients.ConnectAsync(Server, strangerAccount);
        await using var ownResource = await EjabberdClients.ConnectAsync(Server, account, "second");

        var refused = await Assert.ThrowsAsync<StanzaErrorException>(() => stranger.PingAsync(info.BoundJid, cancellationToken: Token));

        Assert.Equal(StanzaErrorCondition.ServiceUnavailable, refused.Error.Condition);
        // The same route answered for the account's own resource: the refusal was the session's policy, not ejabberd's routing.
        Assert.True(await ownResource.PingAsync(info.BoundJid, cancellationToken: Token) > TimeSpan.Zero);
    }

    [Fact]
    [Trait("Spec", "XEP-0030, XEP-0191 §2")]
    public async Task Pool_ServerCapabilities_FromEjabberdsDisco_AndBlockingRefusedWithoutTheModule()
    {
        var pool = NewPool(NullLoggerFactory.Instance);
        var alice = await ejabberd.CreateAccountAsync("alice", Token);
        await pool.CreateAsync("t", EjabberdClients.Spec(Server, alice, "alice"), Token);
        var account = pool.Find("t", "alice")!.Account;

        var capabilities = await account.GetServerCapabilitiesAsync(Token);

        // ejabberd announces carbons on its domain and MAM on both the domain and the account.
        Assert.Equal(alice.Bare.Split('@')[1], capabilities.Server.Jid.ToString());
        Assert.True(capabilities.Server.Supports("urn:xmpp:carbons:2"));
        Assert.True(capabilities.Server.Supports("urn:xmpp:mam:2") || capabilities.Account?.Supports("urn:xmpp:mam:2") == true);
        Assert.Same(capabilities, await account.GetServerCapabilitiesAsync(Token));

        // The test ejabberd loads no mod_blocking: refused before any request, not with a server error.
        var refused = await Assert.ThrowsAsync<FeatureNotSupportedException>(() => account.GetBlocklistAsync(Token));
        Assert.Equal(Ns.Blocking, refused.Feature);
    }

    private SessionPool NewPool(ILoggerFactory loggerFactory) => Track(EjabberdClients.Pool(Server, loggerFactory));

    private T Track<T>(T disposable)
        where T : IAsyncDisposable
    {
        _disposables.Add(disposable);
        return disposable;
    }

    /// <summary>Every message <paramref name="client"/> receives, in order, up to and including the one with id <paramref name="lastId"/>.</summary>
    private static async Task<List<Message>> ReceiveUntilAsync(XmppClient client, string lastId)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(TestClients.Patience);
        var messages = new List<Message>();
        await foreach (var stanza in client.Incoming.ReadAllAsync(timeout.Token))
        {
            if (stanza is Message message)
            {
                messages.Add(message);
                if (message.Id == lastId)
                    return messages;
            }
        }
        throw new InvalidOperationException($"{client.Jid} stopped receiving before '{lastId}'.");
    }
}
