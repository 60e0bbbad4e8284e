using System.Xml.Linq;
using Gateway.Tests.Fakes;
using Gateway.Tests.Integration.Client;
using Gateway.Tests.Integration.Prosody;
using Gateway.Xmpp;
using Gateway.Xmpp.Client;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Protocol;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Pool;

/// <summary>XEP-0359: a stanza-id by the account is an archive id only when the server announces that it stamps them.</summary>
[Trait("Spec", "XEP-0359 §4")]
public sealed class StanzaIdTrustTests(ProsodyFixture prosody)
{
    private static readonly Jid Me = Jid.Parse("me@example.com");
    private static readonly Jid Peer = Jid.Parse("peer@example.org/desk");

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory]
    [Trait("Tier", "Unit")]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public async Task NewStream_DiscoOfOwnBareJid_TrustsOnlyWhenSidAnnounced(bool announced, bool trusted)
    {
        var asked = new List<Iq>();
        var connection = new FakeConnection
        {
            AnswerIq = request =>
            {
                asked.Add(request);
                var features = new[] { Ns.Mam, announced ? Ns.StanzaId : "urn:example:other" };
                return Task.FromResult(request.ResultReply(DiscoFeature.ToElement(new DiscoInfo([new DiscoIdentity("account", "registered")], [.. features]))));
            },
        };
        var trust = NewTrust();
        using var context = new ConnectionContext(connection, 1);

        await ConnectAsync(trust, context);

        var request = Assert.Single(asked);
        Assert.Equal(Me, request.To);
        Assert.Equal(DiscoFeature.InfoQueryName, request.Query?.Name);
        Assert.Equal(trusted, trust.Trusted);
        Assert.Equal(trusted ? "arc-1" : null, trust.ArchiveIdOf(Stamped("arc-1")));
    }

    [Fact]
    [Trait("Tier", "Unit")]
    public async Task NewStream_AnswerHeldBack_SetUpGoesOnWithThePreviousAnswer_LateAnswerApplies()
    {
        // The reply can be stuck behind messages that nobody consumes until the set-up is done: waiting for it without
        // a bound stalled a reconnect for as long as the IQ timeout (a chaos run after a server restart).
        var trust = new StanzaIdTrust(Me, TimeSpan.FromMinutes(5), NullLogger.Instance, "t", "s", answerWait: TimeSpan.FromMilliseconds(50));
        var announcing = new FakeConnection { AnswerIq = r => Task.FromResult(r.ResultReply(DiscoFeature.ToElement(new DiscoInfo([], [Ns.StanzaId])))) };
        using (var first = new ConnectionContext(announcing, 1))
        {
            await ConnectAsync(trust, first);
        }

        // The server came back with another offer (a stream with the same one reuses the answer: see below).
        var heldBack = new TaskCompletionSource<Iq>(TaskCreationOptions.RunContinuationsAsynchronously);
        Iq? request = null;
        using var second = new ConnectionContext(new FakeConnection { AnswerIq = r => { request = r; return heldBack.Task; }, Features = OtherOffer }, 2);

        await ConnectAsync(trust, second).WaitAsync(TimeSpan.FromSeconds(10), Token);
        Assert.True(trust.Trusted);

        heldBack.SetResult(request!.ResultReply(DiscoFeature.ToElement(new DiscoInfo([], ["urn:example:other"]))));
        for (var waited = 0; trust.Trusted && waited < 10_000; waited += 10)
        {
            await Task.Delay(10, Token);
        }

        Assert.False(trust.Trusted);
    }

    [Theory]
    [Trait("Tier", "Unit")]
    [InlineData(true)]
    [InlineData(false)]
    public async Task NewStream_NewStreamWithTheSameOffer_ReusesTheAnswerWithoutAsking(bool announced)
    {
        var asked = 0;
        var trust = NewTrust();
        FakeConnection Server() => new()
        {
            Features = Offer,
            AnswerIq = r =>
            {
                Interlocked.Increment(ref asked);
                return Task.FromResult(r.ResultReply(DiscoFeature.ToElement(new DiscoInfo([], [announced ? Ns.StanzaId : "urn:example:other"]))));
            },
        };
        using (var first = new ConnectionContext(Server(), 1))
        {
            await ConnectAsync(trust, first);
        }

        // Not resumed (e.g. after a server restart), but the same server offer: the same announcement for the account.
        using (var second = new ConnectionContext(Server(), 2))
        {
            await ConnectAsync(trust, second);
        }

        Assert.Equal(1, asked);
        Assert.Equal(announced, trust.Trusted);

        // Another offer (e.g. the server was reconfigured): asked again.
        using (var third = new ConnectionContext(new FakeConnection { Features = OtherOffer, AnswerIq = r => { Interlocked.Increment(ref asked); return Task.FromResult(r.ResultReply(DiscoFeature.ToElement(new DiscoInfo([], [Ns.StanzaId])))); } }, 3))
        {
            await ConnectAsync(trust, third);
        }

        Assert.Equal(2, asked);
        Assert.True(trust.Trusted);
    }

    [Fact]
    [Trait("Tier", "Unit")]
    public async Task NewStream_NoAnswerOrRefused_NextStreamAsksAgain()
    {
        var asked = 0;
        var trust = NewTrust();
        using (var silent = new ConnectionContext(new FakeConnection { Features = Offer, AnswerIq = _ => { asked++; return Task.FromException<Iq>(new XmppTimeoutException("disco#info", TimeSpan.FromSeconds(30))); } }, 1))
        {
            await ConnectAsync(trust, silent);
        }

        using (var refused = new ConnectionContext(new FakeConnection { Features = Offer, AnswerIq = r => { asked++; return Task.FromException<Iq>(new StanzaErrorException(StanzaError.Of(StanzaErrorCondition.ResourceConstraint))); } }, 2))
        {
            await ConnectAsync(trust, refused);
        }

        using (var answering = new ConnectionContext(new FakeConnection { Features = Offer, AnswerIq = r => { asked++; return Task.FromResult(r.ResultReply(DiscoFeature.ToElement(new DiscoInfo([], [Ns.StanzaId])))); } }, 3))
        {
            await ConnectAsync(trust, answering);
        }

        Assert.Equal(3, asked);
        Assert.True(trust.Trusted);
    }

    [Fact]
    [Trait("Tier", "Unit")]
    public async Task NewStream_LateAnswer_IsReusedByTheNextStreamWithTheSameOffer()
    {
        var trust = new StanzaIdTrust(Me, TimeSpan.FromMinutes(5), NullLogger.Instance, "t", "s", answerWait: TimeSpan.FromMilliseconds(50));
        var heldBack = new TaskCompletionSource<Iq>(TaskCreationOptions.RunContinuationsAsynchronously);
        Iq? request = null;
        using (var first = new ConnectionContext(new FakeConnection { Features = Offer, AnswerIq = r => { request = r; return heldBack.Task; } }, 1))
        {
            await ConnectAsync(trust, first).WaitAsync(TimeSpan.FromSeconds(10), Token);
            heldBack.SetResult(request!.ResultReply(DiscoFeature.ToElement(new DiscoInfo([], [Ns.StanzaId]))));
            for (var waited = 0; !trust.Trusted && waited < 10_000; waited += 10)
            {
                await Task.Delay(10, Token);
            }
        }

        var askedAgain = false;
        using (var second = new ConnectionContext(new FakeConnection { Features = Offer, AnswerIq = r => { askedAgain = true; return Task.FromException<Iq>(new InvalidOperationException()); } }, 2))
        {
            await ConnectAsync(trust, second);
        }

        Assert.True(trust.Trusted);
        Assert.False(askedAgain);
    }

    [Fact]
    [Trait("Tier", "Unit")]
    public async Task Restored_TrustedBefore_StandsUntilTheServerAnswers()
    {
        // A restored session's first stream: Prosody redelivers what it moved offline at once, before a slow answer.
        var trust = new StanzaIdTrust(Me, TimeSpan.FromMinutes(5), NullLogger.Instance, "t", "s", answerWait: TimeSpan.FromMilliseconds(50), trustedBefore: true);
        Assert.Equal("arc-1", trust.ArchiveIdOf(Stamped("arc-1")));

        var heldBack = new TaskCompletionSource<Iq>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var first = new ConnectionContext(new FakeConnection { AnswerIq = _ => heldBack.Task }, 1);
        await ConnectAsync(trust, first).WaitAsync(TimeSpan.FromSeconds(10), Token);

        Assert.True(trust.Trusted);
        heldBack.SetCanceled(Token);
    }

    [Fact]
    [Trait("Tier", "Unit")]
    public async Task NewStream_NoAnswerWithinIqTimeout_KeepsWhatWasLearned()
    {
        var trust = NewTrust();
        var announcing = new FakeConnection { AnswerIq = r => Task.FromResult(r.ResultReply(DiscoFeature.ToElement(new DiscoInfo([], [Ns.StanzaId])))) };
        using (var first = new ConnectionContext(announcing, 1))
        {
            await ConnectAsync(trust, first);
        }

        using (var silent = new ConnectionContext(new FakeConnection { AnswerIq = _ => Task.FromException<Iq>(new XmppTimeoutException("disco#info", TimeSpan.FromSeconds(30))) }, 2))
        {
            await ConnectAsync(trust, silent);
        }

        Assert.True(trust.Trusted);
    }

    [Fact]
    [Trait("Tier", "Unit")]
    public async Task NewStream_DiscoRefused_Untrusted_ResumedStreamKeepsWhatWasLearned()
    {
        var trust = NewTrust();
        using (var refused = new ConnectionContext(new FakeConnection(), 1))
        {
            await ConnectAsync(trust, refused);
        }

        Assert.False(trust.Trusted);
        Assert.Null(trust.ArchiveIdOf(Stamped("arc-1")));

        var announcing = new FakeConnection { AnswerIq = r => Task.FromResult(r.ResultReply(DiscoFeature.ToElement(new DiscoInfo([], [Ns.StanzaId])))) };
        using (var fresh = new ConnectionContext(announcing, 2))
        {
            await ConnectAsync(trust, fresh);
        }

        var asked = false;
        using (var resumed = new ConnectionContext(new FakeConnection(resumed: true) { AnswerIq = r => { asked = true; return Task.FromException<Iq>(new InvalidOperationException()); } }, 3))
        {
            await ConnectAsync(trust, resumed);
        }

        Assert.True(trust.Trusted);
        Assert.False(asked);
    }

    [Theory]
    [Trait("Tier", "Unit")]
    [InlineData(true)]
    [InlineData(false)]
    public async Task NewStream_AsksOnlyWhenTheFirstMessageClaimsAnArchiveId(bool announced)
    {
        var asked = 0;
        var trust = NewTrust();
        using var context = new ConnectionContext(new FakeConnection
        {
            AnswerIq = r =>
            {
                Interlocked.Increment(ref asked);
                return Task.FromResult(r.ResultReply(DiscoFeature.ToElement(new DiscoInfo([], [announced ? Ns.StanzaId : "urn:example:other"]))));
            },
        }, 1);

        // Connecting asks nothing: a session that receives nothing never costs the server the answer.
        await trust.OnConnectedAsync(context, Token);
        Assert.Equal(0, asked);
        Assert.Null(await trust.ArchiveIdOfAsync(new Message { From = Peer, Type = MessageType.Chat, Body = "no stanza-id" }, Token));
        Assert.Equal(0, asked);

        // The first message that claims one waits for the answer, which then stands for the stream.
        Assert.Equal(announced ? "arc-1" : null, await trust.ArchiveIdOfAsync(Stamped("arc-1"), Token));
        Assert.Equal(announced ? "arc-2" : null, await trust.ArchiveIdOfAsync(Stamped("arc-2"), Token));
        Assert.Equal(1, asked);
        Assert.Equal(announced, trust.Trusted);
    }

    [Fact]
    [Trait("Tier", "Unit")]
    public async Task ResumedStream_NoAnswerYet_AsksOnTheResumedConnection()
    {
        // The first stream ended before any message needed the answer; asking on it now could only fail, and a resumed
        // stream that never asked left the session untrusted for good (a chaos run: live messages lost their archive
        // ids, every reconnect caught up from far back).
        var trust = NewTrust();
        var askedOnFirst = false;
        using (var first = new ConnectionContext(new FakeConnection { AnswerIq = _ => { askedOnFirst = true; return Task.FromException<Iq>(new XmppConnectionException("gone")); } }, 1))
        {
            await trust.OnConnectedAsync(first, Token);
        }

        var asked = 0;
        using var resumed = new ConnectionContext(new FakeConnection(resumed: true) { AnswerIq = r => { asked++; return Task.FromResult(r.ResultReply(DiscoFeature.ToElement(new DiscoInfo([], [Ns.StanzaId])))); } }, 2);
        await trust.OnConnectedAsync(resumed, Token);

        Assert.Equal("arc-1", await trust.ArchiveIdOfAsync(Stamped("arc-1"), Token));
        Assert.False(askedOnFirst);
        Assert.Equal(1, asked);
    }

    [Fact]
    [Trait("Tier", "Unit")]
    public async Task StreamEndedBeforeTheAnswer_NextStreamAsksAtConnect_FirstMessageWaitsForThatQuestion()
    {
        // Streams cut sooner after coming online than the server answers never learned the answer (a chaos run under
        // load: the session stayed untrusted, every catch-up started far back). Once owed, the question goes out at once.
        var trust = NewTrust();
        var first = new FakeConnection { AnswerIq = _ => Task.FromException<Iq>(new XmppConnectionException("gone")) };
        using (var context = new ConnectionContext(first, 1))
        {
            await trust.OnConnectedAsync(context, Token);
            first.End();
            Assert.Null(await trust.ArchiveIdOfAsync(Stamped("arc-1"), Token));
        }

        var asked = 0;
        var answer = new TaskCompletionSource<Iq>(TaskCreationOptions.RunContinuationsAsynchronously);
        Iq? request = null;
        using var second = new ConnectionContext(new FakeConnection(resumed: true) { AnswerIq = r => { asked++; request = r; return answer.Task; } }, 2);
        await trust.OnConnectedAsync(second, Token);
        Assert.Equal(1, asked); // before any message

        var question = trust.QuestionFor(Stamped("arc-2"), Token);
        Assert.NotNull(question);
        Assert.Null(trust.QuestionFor(Stamped("arc-3"), Token)); // only the first message waits
        answer.SetResult(request!.ResultReply(DiscoFeature.ToElement(new DiscoInfo([], [Ns.StanzaId]))));
        await question.Answered.WaitAsync(Token);

        Assert.True(trust.Trusted);
        Assert.Equal(1, asked);

        // Answered now: the next new stream with the same offer neither owes nor asks.
        using var third = new ConnectionContext(new FakeConnection { AnswerIq = r => { asked++; return answer.Task; } }, 3);
        await trust.OnConnectedAsync(third, Token);
        Assert.Null(trust.QuestionFor(Stamped("arc-4"), Token));
        Assert.Equal(1, asked);
    }

    [Fact]
    [Trait("Tier", "Unit")]
    public void Deduplicator_Untrusted_ForgedStanzaIdDoesNotMakeAnotherMessageARepeat()
    {
        // A stranger copies the stanza-id of a message we received into a message of its own.
        var untrusted = new InboundDeduplicator(Me, stanzaIds: NewTrust());
        var trusted = new InboundDeduplicator(Me, stanzaIds: StanzaIdTrust.Assumed(Me));

        Assert.True(untrusted.TryRemember(Stamped("arc-1", "real"), null));
        Assert.True(untrusted.TryRemember(Stamped("arc-1", "forged"), null));
        Assert.Null(untrusted.ArchiveIdOf(Stamped("arc-1")));

        Assert.True(trusted.TryRemember(Stamped("arc-1", "real"), null));
        Assert.False(trusted.TryRemember(Stamped("arc-1", "repeat"), null));
    }

    [Fact]
    [Trait("Tier", "Integration")]
    public async Task NewStream_ProsodyWithMam_AnnouncesSidOnAccount()
    {
        var account = await prosody.CreateAccountAsync("sid", Token);
        await using var client = await TestClients.ConnectAsync(prosody.Server, account);
        var trust = new StanzaIdTrust(client.Jid, TestClients.Patience, NullLogger.Instance, "t", "s");
        using var context = new ConnectionContext(client, 1);

        await ConnectAsync(trust, context);

        Assert.True(trust.Trusted);
    }

    [Fact]
    [Trait("Tier", "Integration")]
    public async Task NewStream_ProsodyWithoutMam_Untrusted()
    {
        await using var server = await ProsodyServer.StartAsync(new ProsodyServerOptions { DisabledModules = ["mam"] }, Token);
        var account = await server.CreateAccountAsync("sid", Token);
        await using var client = await TestClients.ConnectAsync(server, account);
        var trust = new StanzaIdTrust(client.Jid, TestClients.Patience, NullLogger.Instance, "t", "s");
        using var context = new ConnectionContext(client, 1);

        await ConnectAsync(trust, context);

        Assert.False(trust.Trusted);
    }

    /// <summary>Post-authentication stream features of a server, and of the same server with another module set.</summary>
    private static readonly IReadOnlySet<XName> Offer = new HashSet<XName> { XName.Get("bind", Ns.Bind), XName.Get("sm", Ns.StreamManagement) };

    private static readonly IReadOnlySet<XName> OtherOffer = new HashSet<XName> { XName.Get("bind", Ns.Bind), XName.Get("sm", Ns.StreamManagement), XName.Get("ver", Ns.RosterVersioning) };

    /// <summary>A new stream, and a message on it that claims an archive id (the first such message makes the stream ask).</summary>
    private static async Task ConnectAsync(StanzaIdTrust trust, ConnectionContext context)
    {
        await trust.OnConnectedAsync(context, Token);
        await trust.ArchiveIdOfAsync(Stamped("first", by: trust.Account), Token);
    }

    private static StanzaIdTrust NewTrust() => new(Me, TimeSpan.FromSeconds(5), NullLogger.Instance, "t", "s");

    private static Message Stamped(string stanzaId, string body = "hi", Jid? by = null) => new()
    {
        From = Peer,
        Type = MessageType.Chat,
        Body = body,
        Payload = [new XElement(ReceiptElements.StanzaIdName, new XAttribute("by", (by ?? Me).ToString()), new XAttribute("id", stanzaId))],
    };
}
