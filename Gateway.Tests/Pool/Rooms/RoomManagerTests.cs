using System.Xml.Linq;
using Gateway.Tests.Fakes;
using Gateway.Tests.Pool.Journal;
using Gateway.Xmpp;
using Gateway.Xmpp.Client;
using Gateway.Xmpp.Muc;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Journal;
using Gateway.Xmpp.Pool.Persistence;
using Gateway.Xmpp.Pool.Rooms;
using Gateway.Xmpp.Protocol;
using Microsoft.Extensions.Logging.Abstractions;
using static Gateway.Tests.Pool.Rooms.RoomStanzas;

namespace Gateway.Tests.Pool.Rooms;

/// <summary>The session's rooms — the application's side, the inbound handler and the per-connection feature over one table — driven with stanzas by hand: no socket, no server.</summary>
[Trait("Tier", "Unit")]
[Trait("Spec", "XEP-0045")]
public sealed class RoomManagerTests : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly JournalTestKit _kit = new();
    private readonly SessionJournal _journal;
    private readonly FakeConnection _sender = new();
    private readonly InMemoryPoolStore _store = new();
    private readonly RoomManager _rooms;
    private readonly RoomInboundHandler _inbound;
    private readonly RoomsFeature _feature;

    public RoomManagerTests()
    {
        _journal = _kit.Journal.Open("t", "s", 0);
        (_rooms, _inbound, _feature) = Wire(new RoomOptions(Patience, TimeSpan.FromHours(1), MaxRooms: 3));
    }

    /// <summary>The parts over one table, as a session wires them.</summary>
    private (RoomManager Rooms, RoomInboundHandler Inbound, RoomsFeature Feature) Wire(RoomOptions options)
    {
        var table = new RoomTable();
        var persistence = new RoomPersistence(table, _store, "t", "s", NullLogger.Instance);
        return (
            new RoomManager(table, _sender, persistence, options, TimeProvider.System),
            new RoomInboundHandler(table, persistence, _journal, TimeProvider.System, NullLogger.Instance),
            new RoomsFeature(table, persistence, _journal, options, TimeProvider.System, NullLogger.Instance));
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public ValueTask DisposeAsync() => _kit.DisposeAsync();

    private async Task<List<SessionEvent>> EventsAsync(int atLeast)
    {
        await _journal.FlushAsync(Token).WaitAsync(Patience, Token);
        var events = _kit.Dispatched.ToList();
        Assert.True(events.Count >= atLeast, $"expected at least {atLeast} events, got {events.Count}: {string.Join(", ", events)}");
        return events;
    }

    private async Task JoinedAsync(params Presence[] before)
    {
        var join = _rooms.JoinAsync(Room, "alice", cancellationToken: Token);
        foreach (var presence in before.Append(Self()))
        {
            Assert.True(await _inbound.TryHandleAsync(presence, Token));
        }

        Assert.Equal(RoomJoinState.Joined, (await join.WaitAsync(Patience, Token)).State);
    }

    [Fact]
    [Trait("Spec", "XEP-0045 §7.2.3")]
    public async Task JoinAsync_AnswersOnSelfPresence_StoredAndListedWithOccupants()
    {
        var join = _rooms.JoinAsync(Room, "alice", "pw", new MucHistory(MaxStanzas: 5), Token);
        var sent = Assert.IsType<Presence>(Assert.Single(_sender.Written));
        Assert.True(MucElements.IsJoin(sent, out var password));
        Assert.Equal(("pw", Room.WithResource("alice")), (password, sent.To));
        Assert.Equal(RoomJoinState.Joining, Assert.Single(_rooms.List()).State);
        Assert.False(join.IsCompleted);

        Assert.True(await _inbound.TryHandleAsync(Occupant("bob"), Token));
        Assert.True(await _inbound.TryHandleAsync(Self(), Token));

        var joined = await join.WaitAsync(Patience, Token);
        Assert.Equal((RoomJoinState.Joined, MucAffiliation.Member), (joined.State, joined.Affiliation));
        Assert.Equal(["alice", "bob"], _rooms.Occupants(Room)!.Select(o => o.Nick));
        var stored = Assert.Single(await _store.LoadRoomsAsync("t", "s", Token));
        Assert.Equal(("alice", "pw"), (stored.Nick, stored.Password));

        // On a first entry, the occupants already there are listed, not reported one by one.
        var events = await EventsAsync(1);
        Assert.Equal(RoomState.Joined, Assert.IsType<RoomStateChanged>(Assert.Single(events)).State);
    }

    [Fact]
    [Trait("Spec", "XEP-0045 §7.2.9")]
    public async Task JoinAsync_ErrorPresence_ThrowsTheRoomsError_RoomForgotten()
    {
        var join = _rooms.JoinAsync(Room, "alice", cancellationToken: Token);

        await _inbound.TryHandleAsync(new Presence { From = Room.WithResource("alice"), Type = PresenceType.Error, Error = StanzaError.Of(StanzaErrorCondition.Conflict) }, Token);

        var refused = await Assert.ThrowsAsync<StanzaErrorException>(() => join.WaitAsync(Patience, Token));
        Assert.Equal(StanzaErrorCondition.Conflict, refused.Error.Condition);
        Assert.Empty(_rooms.List());
        Assert.Empty(await _store.LoadRoomsAsync("t", "s", Token));
    }

    [Fact]
    [Trait("Spec", "XEP-0045 §10.1.2")]
    public async Task JoinAsync_RoomCreated_AnswersOnlyOnceConfiguredAsInstantRoom()
    {
        var asked = new TaskCompletionSource<Iq>(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var connection = new FakeConnection { AnswerIq = async request => { asked.TrySetResult(request); await release.Task; return request.ResultReply(); } };
        using var context = new ConnectionContext(connection, 1);
        var run = _feature.RunAsync(context, Token);
        var join = _rooms.JoinAsync(Room, "alice", cancellationToken: Token);

        await _inbound.TryHandleAsync(Self(codes: MucStatus.Created), Token);

        var configure = await asked.Task.WaitAsync(Patience, Token);
        Assert.Equal((IqType.Set, Room, XName.Get("query", Ns.MucOwner)), (configure.Type, configure.To, configure.Query!.Name));
        Assert.False(join.IsCompleted);
        release.SetResult();
        Assert.Equal(RoomJoinState.Joined, (await join.WaitAsync(Patience, Token)).State);
        connection.End();
        await run.WaitAsync(Patience, Token);
    }

    [Fact]
    public async Task JoinAsync_NoAnswer_TimesOut_NotKept_LeavesJustInCase()
    {
        var (rooms, _, _) = Wire(new RoomOptions(TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1)));

        await Assert.ThrowsAsync<XmppTimeoutException>(() => rooms.JoinAsync(Room, "alice", cancellationToken: Token));

        Assert.Empty(rooms.List());
        Assert.Equal(PresenceType.Unavailable, Assert.IsType<Presence>(_sender.Written.Last()).Type);
    }

    [Fact]
    [Trait("Spec", "RFC 6121 §4.6, XEP-0045 §7.2.15, XEP-0359")]
    public async Task NewStream_EntersAgainWithHistorySinceTheNewest_ReportsOnlyWhatChanged_DropsRepeats()
    {
        await JoinedAsync(Occupant("bob"), Occupant("carol"));
        // A message stamped after our entry (the room's clock may run ahead): history starts from it.
        var now = DateTimeOffset.UtcNow;
        var newest = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, now.Second, TimeSpan.Zero).AddMinutes(1);
        Assert.True(await _inbound.TryHandleAsync(Groupchat("bob", "one", "r-1", newest), Token));

        var connection = new FakeConnection();
        using (var context = new ConnectionContext(connection, 2))
        {
            await _feature.OnConnectedAsync(context, Token);
        }

        var rejoin = Assert.IsType<Presence>(Assert.Single(connection.Written));
        Assert.True(MucElements.IsJoin(rejoin, out _));
        Assert.Equal(newest.ToString("yyyy-MM-dd'T'HH:mm:ss'.000Z'", System.Globalization.CultureInfo.InvariantCulture), (string?)rejoin.Payload[0].Element(XName.Get("history", Ns.Muc))?.Attribute("since"));
        Assert.Equal(RoomJoinState.Rejoining, Assert.Single(_rooms.List()).State);

        // The room tells who is there (bob, and dave who came meanwhile; carol left), us, then history with a repeat.
        await _inbound.TryHandleAsync(Occupant("bob"), Token);
        await _inbound.TryHandleAsync(Occupant("dave"), Token);
        await _inbound.TryHandleAsync(Self(), Token);
        await _inbound.TryHandleAsync(Groupchat("bob", "one", "r-1", newest), Token);
        await _inbound.TryHandleAsync(Groupchat("dave", "two", "r-2", newest.AddSeconds(5)), Token);

        var events = (await EventsAsync(6)).Skip(2).ToList(); // after the first join and message
        Assert.Equal(RoomState.Rejoining, Assert.IsType<RoomStateChanged>(events[0]).State);
        var dave = Assert.IsType<RoomOccupantChanged>(events[1]);
        Assert.Equal((RoomOccupantChange.Joined, "dave"), (dave.Change, dave.Occupant.Nick));
        var carol = Assert.IsType<RoomOccupantChanged>(events[2]);
        Assert.Equal((RoomOccupantChange.Left, "carol"), (carol.Change, carol.Occupant.Nick));
        Assert.Equal(RoomState.Joined, Assert.IsType<RoomStateChanged>(events[3]).State);
        Assert.Equal("two", Assert.IsType<RoomMessageReceived>(Assert.Single(events.Skip(4))).Message.Body);
    }

    [Fact]
    [Trait("Spec", "XEP-0198 §5")]
    public async Task ResumedStream_StillInTheRooms_NothingSent()
    {
        await JoinedAsync();
        var connection = new FakeConnection(resumed: true);
        using var context = new ConnectionContext(connection, 2);

        await _feature.OnConnectedAsync(context, Token);

        Assert.Empty(connection.Written);
        Assert.Equal(RoomJoinState.Joined, Assert.Single(_rooms.List()).State);
    }

    [Theory]
    [Trait("Spec", "XEP-0410 §3.2")]
    [InlineData(StanzaErrorCondition.NotAcceptable, true)]
    [InlineData(StanzaErrorCondition.ServiceUnavailable, false)]
    [InlineData(null, false)]
    public async Task SelfPing_DroppedSilently_EntersAgain(StanzaErrorCondition? answer, bool rejoins)
    {
        await JoinedAsync();
        var connection = new FakeConnection
        {
            AnswerIq = request => answer is { } condition
                ? Task.FromException<Iq>(new StanzaErrorException(StanzaError.Of(condition)))
                : Task.FromResult(request.ResultReply()),
        };

        await _feature.SelfPingOnceAsync(connection, Token);

        Assert.Equal(rejoins, connection.Written.OfType<Presence>().Any(p => MucElements.IsJoin(p, out _)));
        Assert.Equal(rejoins ? RoomJoinState.Rejoining : RoomJoinState.Joined, Assert.Single(_rooms.List()).State);
    }

    [Fact]
    public async Task Stanzas_FromJidsThatAreNoRoomOfOurs_NotTaken()
    {
        await JoinedAsync();
        var stranger = Jid.Parse("mallory@example.com/x");

        Assert.False(await _inbound.TryHandleAsync(new Presence { From = stranger, Payload = Self().Payload }, Token));
        Assert.False(await _inbound.TryHandleAsync(new Message { From = stranger, Type = MessageType.Groupchat, Body = "room?" }, Token));
        Assert.False(await _inbound.TryHandleAsync(new Message { From = Jid.Parse("other@conference.example.com/bob"), Type = MessageType.Groupchat, Body = "room?" }, Token));

        // A private message through our room is an ordinary message, and so is an error (after settling what we sent).
        Assert.False(await _inbound.TryHandleAsync(new Message { From = Room.WithResource("bob"), Type = MessageType.Chat, Body = "psst" }, Token));
    }

    [Fact]
    [Trait("Spec", "XEP-0045 §7.4")]
    public async Task SendAsync_ReflectionCompletes_ErrorThrows_NotJoinedRefused()
    {
        await Assert.ThrowsAsync<RoomNotJoinedException>(() => _rooms.SendAsync(Room, new Message { Body = "early" }, Token));
        await JoinedAsync();

        var send = _rooms.SendAsync(Room, new Message { Body = "hello" }, Token);
        var written = Assert.IsType<Message>(_sender.Written.Last());
        Assert.Equal((MessageType.Groupchat, Room), (written.Type, written.To));
        await _inbound.TryHandleAsync(written with { From = Room.WithResource("alice"), To = null }, Token);
        Assert.Equal(written.Id, await send.WaitAsync(Patience, Token));

        var refused = _rooms.SendAsync(Room, new Message { Body = "shh" }, Token);
        var second = Assert.IsType<Message>(_sender.Written.Last());
        Assert.False(await _inbound.TryHandleAsync(new Message { From = Room, Id = second.Id, Type = MessageType.Error, Error = StanzaError.Of(StanzaErrorCondition.Forbidden) }, Token));
        Assert.Equal(StanzaErrorCondition.Forbidden, (await Assert.ThrowsAsync<StanzaErrorException>(() => refused.WaitAsync(Patience, Token))).Error.Condition);
    }

    [Theory]
    [Trait("Spec", "XEP-0045 §7.14, §8.2, §9.1, §10.9")]
    [InlineData(new[] { MucStatus.Kicked }, RoomState.Kicked)]
    [InlineData(new[] { MucStatus.Banned }, RoomState.Banned)]
    [InlineData(new[] { MucStatus.RemovedMembersOnly }, RoomState.Removed)]
    public async Task ThrownOut_ReportedAndForgotten(int[] codes, RoomState state)
    {
        await JoinedAsync();

        await _inbound.TryHandleAsync(Self(type: PresenceType.Unavailable, codes: codes), Token);

        Assert.Empty(_rooms.List());
        Assert.Empty(await _store.LoadRoomsAsync("t", "s", Token));
        Assert.Equal(state, Assert.IsType<RoomStateChanged>((await EventsAsync(2)).Last()).State);
    }

    [Fact]
    [Trait("Spec", "RFC 6121 §4.6.3")]
    public async Task OutByOurOwnUnavailablePresence_StillAMember_EnteredOnTheNextStream()
    {
        await JoinedAsync();

        await _inbound.TryHandleAsync(Self(type: PresenceType.Unavailable), Token);

        Assert.Equal(RoomJoinState.Rejoining, Assert.Single(_rooms.List()).State);
        Assert.Single(await _store.LoadRoomsAsync("t", "s", Token));
        Assert.Equal(RoomState.Rejoining, Assert.IsType<RoomStateChanged>((await EventsAsync(2)).Last()).State);
    }

    [Fact]
    [Trait("Spec", "XEP-0045 §15.6 (333)")]
    public async Task RemovedForAnErrorFromUs_StillAMember_LaterErrorIgnored_OnlyTheEntrysAnswerCounts()
    {
        // What Prosody does as it stops: it removes us with 333 (an error came back from our JID while our stream
        // closed), then refuses the unavailable presence our server sends it for us.
        await JoinedAsync();
        var refusal = new Presence { From = Room.WithResource("alice"), Type = PresenceType.Error, Error = StanzaError.Of(StanzaErrorCondition.ItemNotFound) };

        await _inbound.TryHandleAsync(Self(type: PresenceType.Unavailable, codes: [MucStatus.Self, MucStatus.RemovedTechnical]), Token);
        Assert.True(await _inbound.TryHandleAsync(refusal, Token));

        Assert.Equal(RoomJoinState.Rejoining, Assert.Single(_rooms.List()).State);
        Assert.Single(await _store.LoadRoomsAsync("t", "s", Token));
        var rejoining = Assert.IsType<RoomStateChanged>(Assert.Single((await EventsAsync(2)).Skip(1)));
        Assert.Equal((RoomState.Rejoining, true), (rejoining.State, rejoining.StatusCodes.Contains(MucStatus.RemovedTechnical)));

        // On the next stream the entry goes out again; an error now answers it.
        var connection = new FakeConnection();
        using (var context = new ConnectionContext(connection, 2))
        {
            await _feature.OnConnectedAsync(context, Token);
        }

        Assert.True(MucElements.IsJoin(Assert.IsType<Presence>(Assert.Single(connection.Written)), out _));
        await _inbound.TryHandleAsync(refusal, Token);
        Assert.Empty(_rooms.List());
        Assert.Equal(RoomState.JoinFailed, Assert.IsType<RoomStateChanged>((await EventsAsync(3)).Last()).State);
    }

    [Theory]
    [Trait("Spec", "XEP-0045 §15.6 (333), XEP-0410")]
    [InlineData(true)]
    [InlineData(false)]
    public async Task OutOnAStreamThatStaysUp_SelfPingRoundEntersAgainOnlyAfterAnErrorRemoval(bool removedForAnError)
    {
        await JoinedAsync();
        int[] codes = removedForAnError ? [MucStatus.Self, MucStatus.RemovedTechnical] : [MucStatus.Self];
        await _inbound.TryHandleAsync(Self(type: PresenceType.Unavailable, codes: codes), Token);
        var connection = new FakeConnection { AnswerIq = request => Task.FromResult(request.ResultReply()) };

        await _feature.SelfPingOnceAsync(connection, Token);
        await _feature.SelfPingOnceAsync(connection, Token);

        // Once: the second round sees the entry under way. After our own unavailable presence, not at all: the
        // application chose to be out until the next stream.
        Assert.Equal(removedForAnError ? 1 : 0, connection.Written.OfType<Presence>().Count(p => MucElements.IsJoin(p, out _)));
        Assert.Equal(RoomJoinState.Rejoining, Assert.Single(_rooms.List()).State);
    }

    [Fact]
    [Trait("Spec", "XEP-0045 §7.2.1, §7.14")]
    public async Task RawPresence_JoinCountsAsEntry_UnavailableAsLeave_OtherPresenceNotOurs()
    {
        Assert.True(_rooms.Sent(MucElements.JoinPresence(Room, "alice", password: null, history: null)));
        Assert.Equal(RoomJoinState.Joining, Assert.Single(_rooms.List()).State);
        await _inbound.TryHandleAsync(Self(), Token);
        Assert.Equal(RoomJoinState.Joined, Assert.Single(_rooms.List()).State);
        Assert.False(_rooms.Sent(new Presence { To = Jid.Parse("bob@example.com") }));
        Assert.False(_rooms.Sent(new Presence()));

        Assert.True(_rooms.Sent(MucElements.LeavePresence(Room, "alice")));
        var connection = new FakeConnection();
        using (var context = new ConnectionContext(connection, 2))
        {
            // A new stream before the room confirmed the leave: out anyway, not entered again.
            await _feature.OnConnectedAsync(context, Token);
        }

        Assert.Empty(connection.Written);
        Assert.Empty(_rooms.List());
        Assert.Equal(RoomState.Left, Assert.IsType<RoomStateChanged>((await EventsAsync(2)).Last()).State);
    }

    [Fact]
    public async Task JoinAsync_BeyondMaxRooms_Refused()
    {
        foreach (var i in Enumerable.Range(0, 3))
        {
            _rooms.Sent(MucElements.JoinPresence(Jid.Parse($"r{i}@conference.example.com"), "alice", password: null, history: null));
        }

        await Assert.ThrowsAsync<RoomLimitException>(() => _rooms.JoinAsync(Room, "alice", cancellationToken: Token));
    }
}
