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
}
