using Gateway.Tests.Fakes;
using Gateway.Xmpp;
using Gateway.Xmpp.Client;
using Gateway.Xmpp.Pool;

namespace Gateway.Tests.Pool;

/// <summary>A stream's roster request and presence: sent once per stream, even when its first connection died first.</summary>
[Trait("Tier", "Unit")]
public sealed class SessionPresenceTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static Task<Iq> RosterResult(Iq request) =>
        Task.FromResult(new Iq { Type = IqType.Result, Id = request.Id, Payload = [new System.Xml.Linq.XElement(System.Xml.Linq.XName.Get("query", "jabber:iq:roster"))] });

    [Fact]
    [Trait("Spec", "RFC 6121 §4.2, XEP-0198 §5")]
    public async Task ResumedStream_PresenceSentOnItsFirstConnection_NothingAgain()
    {
        var presence = new SessionPresence(sendInitialPresence: true);
        var first = new FakeConnection { AnswerIq = RosterResult };
        using (var context = new ConnectionContext(first, 1))
        {
            await presence.OnConnectedAsync(context, Token);
        }

        var resumed = new FakeConnection(resumed: true) { AnswerIq = RosterResult };
        using (var context = new ConnectionContext(resumed, 2))
        {
            await presence.OnConnectedAsync(context, Token);
        }

        Assert.Single(first.Written.OfType<Presence>());
        Assert.Empty(resumed.Written);
    }

    [Fact]
    [Trait("Spec", "RFC 6121 §4.2, XEP-0198 §5")]
    public async Task StreamsFirstConnectionDiedBeforeItsPresence_ResumedStreamSendsIt()
    {
        var presence = new SessionPresence(sendInitialPresence: true);

        // The connection that began the stream ends while the roster request is under way: no presence was written.
        var first = new FakeConnection { AnswerIq = _ => Task.FromException<Iq>(new XmppConnectionException("The connection was lost while reading.")) };
        using (var context = new ConnectionContext(first, 1))
        {
            await Assert.ThrowsAsync<XmppConnectionException>(() => presence.OnConnectedAsync(context, Token).AsTask());
        }

        var resumed = new FakeConnection(resumed: true) { AnswerIq = RosterResult };
        using (var context = new ConnectionContext(resumed, 2))
        {
            await presence.OnConnectedAsync(context, Token);
        }

        Assert.Empty(first.Written.OfType<Presence>());
        Assert.Single(resumed.Written.OfType<Presence>());
    }

    [Fact]
    [Trait("Spec", "RFC 6121 §2.6")]
    public async Task VersionedRoster_SendsCachedVersion_ReportsOnlyWhatChangedWhileOffline()
    {
        var changed = new List<RosterItem>();
        var presence = new SessionPresence(sendInitialPresence: false, changed.Add);
        var carol = Jid.Parse("carol@example.com");
        var dave = Jid.Parse("dave@example.com");
        var asked = new List<string?>();
        var answers = new Queue<System.Xml.Linq.XElement?>(
        [
            RosterQuery("v1", Item(dave)),
            null, // RFC 6121 §2.6.3: unchanged
            RosterQuery("v7", Item(carol, "Carol")),
        ]);

        foreach (var number in new[] { 1, 2, 3 })
        {
            var connection = new FakeConnection
            {
                Features = new HashSet<System.Xml.Linq.XName> { System.Xml.Linq.XName.Get("ver", "urn:xmpp:features:rosterver") },
                AnswerIq = request =>
                {
                    asked.Add((string?)request.Query?.Attribute("ver"));
                    var answer = answers.Dequeue();
                    return Task.FromResult(new Iq { Type = IqType.Result, Id = request.Id, Payload = answer is null ? [] : [answer] });
                },
            };
            using var context = new ConnectionContext(connection, number);
            await presence.OnConnectedAsync(context, Token);
        }

        Assert.Equal(["", "v1", "v1"], asked);
        Assert.Equal(2, changed.Count);
        Assert.Contains(changed, i => i.Jid == carol && i.Name == "Carol");
        Assert.Contains(changed, i => i.Jid == dave && i.Subscription == RosterSubscription.Remove);
    }

    [Fact]
    [Trait("Spec", "RFC 6121 §4.6")]
    public async Task NewStream_DirectedPresencesTheApplicationSet_SentAgainAfterTheBroadcastOne_UnavailableEndsOne()
    {
        var presence = new SessionPresence(sendInitialPresence: true);
        var carol = Jid.Parse("carol@example.com/desk");
        var dave = Jid.Parse("dave@example.com");
        presence.Sent(new Presence { To = carol, Id = "d1", Status = "first" });
        presence.Sent(new Presence { To = carol, Id = "d2", Status = "for carol" });
        presence.Sent(new Presence { To = dave, Id = "d3" });
        presence.Sent(new Presence { To = Jid.Parse("erin@example.com"), Type = PresenceType.Subscribe });
        presence.Sent(new Presence { To = dave, Type = PresenceType.Unavailable });

        foreach (var (number, resumed) in new[] { (1, false), (2, true), (3, false) })
        {
            var connection = new FakeConnection(resumed: resumed) { AnswerIq = RosterResult };
            using var context = new ConnectionContext(connection, number);
            await presence.OnConnectedAsync(context, Token);
            var sent = connection.Written.OfType<Presence>().ToList();
            if (resumed)
            {
                Assert.Empty(sent); // XEP-0198 §5: the server kept the stream's directed presence
                continue;
            }

            Assert.Equal([null, carol], sent.Select(p => p.To));
            Assert.Equal("for carol", sent[1].Status);
            Assert.NotEqual("d2", sent[1].Id);
        }
    }

    [Fact]
    public void DirectedPresences_Bounded_OldestForgotten()
    {
        var presence = new SessionPresence(sendInitialPresence: false);
        foreach (var i in Enumerable.Range(0, SessionPresence.MaxDirected + 5))
        {
            presence.Sent(new Presence { To = Jid.Parse($"u{i}@example.com") });
        }

        Assert.Equal(SessionPresence.MaxDirected, presence.Directed.Count);
        Assert.Equal(Jid.Parse("u5@example.com"), presence.Directed[0].To);
    }

    private static System.Xml.Linq.XElement RosterQuery(string version, params System.Xml.Linq.XElement[] items) =>
        new(System.Xml.Linq.XName.Get("query", "jabber:iq:roster"), new System.Xml.Linq.XAttribute("ver", version), items);

    private static System.Xml.Linq.XElement Item(Jid jid, string? name = null) =>
        new(System.Xml.Linq.XName.Get("item", "jabber:iq:roster"), new System.Xml.Linq.XAttribute("jid", jid.ToString()), name is null ? null : new System.Xml.Linq.XAttribute("name", name));
}
