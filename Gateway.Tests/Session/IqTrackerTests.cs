using System.Xml.Linq;
using Gateway.Xmpp;
using Gateway.Xmpp.Session;

namespace Gateway.Tests.Session;

public sealed class IqTrackerTests
{
    private static readonly Jid Own = Jid.Parse("me@example.com/gw");
    private readonly IqTracker _tracker = new(() => Own);

    private static Iq Request(string id, string? to) => new()
    {
        Type = IqType.Get, Id = id, To = to is null ? null : Jid.Parse(to), Payload = [new XElement(XName.Get("ping", "urn:xmpp:ping"))],
    };

    private static Iq Reply(string id, string? from) => new() { Type = IqType.Result, Id = id, From = from is null ? null : Jid.Parse(from) };

    [Fact]
    public async Task TryComplete_ReplyFromAddressee_CompletesRequest()
    {
        using var pending = _tracker.Register(Request("1", "peer@example.com/x"));

        Assert.True(_tracker.TryComplete(Reply("1", "peer@example.com/x")));
        Assert.Equal("1", (await pending.Reply).Id);
        Assert.Equal(0, _tracker.Count);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("me@example.com")]
    [InlineData("me@example.com/gw")]
    [InlineData("example.com")]
    public void TryComplete_RequestToServer_AcceptsServerAddresses(string? from)
    {
        using var pending = _tracker.Register(Request("2", null));

        Assert.True(_tracker.TryComplete(Reply("2", from)));
    }

    [Theory]
    [InlineData("mallory@example.com/x")]
    [InlineData("peer@example.com")]
    [InlineData(null)]
    public void TryComplete_ReplyFromSomeoneElse_Ignored(string? from)
    {
        using var pending = _tracker.Register(Request("3", "peer@example.com/x"));

        Assert.False(_tracker.TryComplete(Reply("3", from)));
        Assert.False(pending.Reply.IsCompleted);
    }

    [Fact]
    public void TryComplete_AfterDispose_NotMatched()
    {
        var pending = _tracker.Register(Request("4", null));
        pending.Dispose();

        Assert.False(_tracker.TryComplete(Reply("4", null)));
    }

    [Fact]
    public async Task FailAll_FailsEveryPendingRequest()
    {
        using var one = _tracker.Register(Request("5", null));
        using var two = _tracker.Register(Request("6", "peer@example.com"));

        _tracker.FailAll(new XmppConnectionException("gone"));

        await Assert.ThrowsAsync<XmppConnectionException>(() => one.Reply);
        await Assert.ThrowsAsync<XmppConnectionException>(() => two.Reply);
    }

    [Fact]
    public void Register_DuplicateId_Throws()
    {
        using var pending = _tracker.Register(Request("7", null));

        Assert.Throws<InvalidOperationException>(() => _tracker.Register(Request("7", null)));
    }
}
