using System.Xml.Linq;
using Gateway.Tests.Api.Fakes;
using Gateway.Tests.Fakes;
using Gateway.Tests.Pool.Journal;
using Gateway.Xmpp;
using Gateway.Xmpp.Blocking;
using Gateway.Xmpp.Client;
using Gateway.Xmpp.HttpUpload;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Journal;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Pool.Account;

/// <summary>The connection part of the account features: blocklist pushes and the presence table across streams.</summary>
[Trait("Tier", "Unit")]
public sealed class SessionAccountTests : IAsyncDisposable
{
    private static readonly Jid Me = Jid.Parse("me@example.com/r");
    private readonly JournalTestKit _kit = new();
    private readonly SessionJournal _journal;
    private readonly PresenceTracker _presence = new(Me, _ => true, TimeProvider.System);

    public SessionAccountTests() => _journal = _kit.Journal.Open("t", "s", 0);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private SessionAccount Account() => new(
        new FakeSessionPool().Add("t", "s", Me.Bare.ToString()), _journal, _presence, () => [], HttpUploader.Shared(false), TimeProvider.System, NullLogger.Instance);

    private static Iq Push(Jid? from, string xml) => new() { Type = IqType.Set, Id = "push", From = from, Payload = [XElement.Parse(xml)] };

    [Theory]
    [Trait("Spec", "XEP-0191 §3.3")]
    [InlineData(null)]
    [InlineData("me@example.com")]
    public async Task BlocklistPush_FromTheAccountsServer_Published(string? from)
    {
        var connection = new FakeConnection { Jid = Me };
        using var context = new ConnectionContext(connection, 1);
        await Account().OnConnectedAsync(context, Token);

        var answer = await connection.IqHandlers[BlockingCommand.BlockName](Push(from is null ? null : Jid.Parse(from), "<block xmlns='urn:xmpp:blocking'><item jid='spam@example.org'/></block>"), Token);
        await _journal.FlushAsync(Token);

        Assert.Null(answer);
        var published = Assert.Single(_kit.Dispatched.OfType<BlocklistChanged>());
        Assert.Equal((true, Jid.Parse("spam@example.org")), (published.Blocked, Assert.Single(published.Jids)));
    }

    [Theory]
    [Trait("Spec", "XEP-0191 §3.3")]
    [InlineData("mallory@evil.example")]
    [InlineData("me@example.com/other")]
    [InlineData("example.com")]
    public async Task BlocklistPush_FromAnyoneElse_RefusedAndNotPublished(string from)
    {
        var connection = new FakeConnection { Jid = Me };
        using var context = new ConnectionContext(connection, 1);
        await Account().OnConnectedAsync(context, Token);

        var refused = await Assert.ThrowsAsync<StanzaErrorException>(async () =>
            await connection.IqHandlers[BlockingCommand.UnblockName](Push(Jid.Parse(from), "<unblock xmlns='urn:xmpp:blocking'/>"), Token));
        await _journal.FlushAsync(Token);

        Assert.Equal(StanzaErrorCondition.ServiceUnavailable, refused.Error.Condition);
        Assert.Empty(_kit.Dispatched.OfType<BlocklistChanged>());
    }

    [Theory]
    [Trait("Spec", "RFC 6121 §4.4")]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public async Task PresenceTable_NewStreamStartsEmpty_ResumedStreamKeepsIt(bool resumed, bool kept)
    {
        _presence.Observe(new Presence { From = Jid.Parse("bob@example.com/phone") });
        using var context = new ConnectionContext(new FakeConnection(resumed: resumed), 2);

        await _presence.OnConnectedAsync(context, Token);

        Assert.Equal(kept, _presence.Snapshot([new RosterItem(Jid.Parse("bob@example.com"))]).Contacts[0].Available);
    }

    public ValueTask DisposeAsync() => _kit.DisposeAsync();
}
