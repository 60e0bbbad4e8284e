using System.Xml.Linq;
using Gateway.Tests.Fakes;
using Gateway.Tests.Pool.Journal;
using Gateway.Xmpp;
using Gateway.Xmpp.Client;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Journal;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Pool;

/// <summary>Inbound IQ requests handed to API clients: how many may wait for an answer at once.</summary>
[Trait("Tier", "Unit")]
public sealed class IqRequestForwarderTests : IAsyncDisposable
{
    private static readonly Jid Peer = Jid.Parse("peer@example.com/desk");
    private readonly JournalTestKit _kit = new();
    private readonly SessionJournal _journal;

    public IqRequestForwarderTests() => _journal = _kit.Journal.Open("t", "s", 0);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    [Trait("Spec", "RFC 6120 §8.3.3.18")]
    public async Task Forward_MorePendingThanTheCap_ExcessAnsweredResourceConstraintAtOnce()
    {
        var forwarder = new IqRequestForwarder(_journal, TimeSpan.FromMinutes(5), TimeProvider.System, NullLogger.Instance, maxPending: 2);
        var connection = new FakeConnection();
        using var context = new ConnectionContext(connection, 1);
        await forwarder.OnConnectedAsync(context, Token);
        var handler = connection.FallbackIqHandler!;

        var first = handler(Request("q1"), Token).AsTask();
        var second = handler(Request("q2"), Token).AsTask();
        var third = handler(Request("q3"), Token).AsTask();

        var refused = await Assert.ThrowsAsync<StanzaErrorException>(() => third.WaitAsync(TimeSpan.FromSeconds(10), Token));
        Assert.Equal(StanzaErrorCondition.ResourceConstraint, refused.Error.Condition);
        Assert.Equal(StanzaErrorType.Wait, refused.Error.Type);
        Assert.False(first.IsCompleted || second.IsCompleted);

        // An answered request frees its place: the next one is forwarded again.
        Assert.True(forwarder.TryAnswer(new Iq { Type = IqType.Result, Id = "q1", To = Peer }));
        await first.WaitAsync(Token);
        var fourth = handler(Request("q4"), Token).AsTask();
        Assert.True(forwarder.TryAnswer(new Iq { Type = IqType.Result, Id = "q4", To = Peer }));
        await fourth.WaitAsync(Token);
        Assert.Equal(["q1", "q2", "q4"], await ForwardedIdsAsync(3));
    }

    private async Task<string[]> ForwardedIdsAsync(int count)
    {
        await _journal.FlushAsync(Token);
        var forwarded = _kit.Dispatched.OfType<IqRequestReceived>().Select(e => e.Request.Id!).ToArray();
        Assert.Equal(count, forwarded.Length);
        return forwarded;
    }

    private static Iq Request(string id) => new()
    {
        Type = IqType.Get, Id = id, From = Peer, Payload = [new XElement(XName.Get("query", "urn:example:q"))],
    };

    public ValueTask DisposeAsync() => _kit.DisposeAsync();
}
