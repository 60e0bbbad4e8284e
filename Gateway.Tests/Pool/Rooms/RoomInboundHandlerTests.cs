using Gateway.Tests.Pool.Journal;
using Gateway.Xmpp;
using Gateway.Xmpp.Muc;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Journal;
using Gateway.Xmpp.Pool.Persistence;
using Gateway.Xmpp.Pool.Rooms;
using Microsoft.Extensions.Logging.Abstractions;
using static Gateway.Tests.Pool.Rooms.RoomStanzas;

namespace Gateway.Tests.Pool.Rooms;

/// <summary>What the rooms send, handled over a table alone: no application side, no connection.</summary>
[Trait("Tier", "Unit")]
[Trait("Spec", "XEP-0045")]
public sealed class RoomInboundHandlerTests : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly JournalTestKit _kit = new();
    private readonly SessionJournal _journal;
    private readonly InMemoryPoolStore _store = new();
    private readonly RoomTable _table = new();
    private readonly RoomInboundHandler _inbound;

    public RoomInboundHandlerTests()
    {
        _journal = _kit.Journal.Open("t", "s", 0);
        _inbound = new RoomInboundHandler(_table, new RoomPersistence(_table, _store, "t", "s", NullLogger.Instance), _journal, TimeProvider.System, NullLogger.Instance);
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public ValueTask DisposeAsync() => _kit.DisposeAsync();

    private async Task<IReadOnlyList<SessionEvent>> EventsAsync()
    {
        await _journal.FlushAsync(Token).WaitAsync(Patience, Token);
        return _kit.Dispatched;
    }

    [Fact]
    [Trait("Spec", "XEP-0045 §7.2.15, XEP-0359 §3")]
    public async Task RestoredRoom_EnteredAgain_HistoryRepeatingAStoredStanzaIdDropped_NewestStored()
    {
        var sent = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        _table.Restore([new StoredRoom("t", "s", Room, "alice", Password: null) { LastMessageAt = sent.AddHours(-1), RecentStanzaIds = ["r-1"] }]);

        Assert.True(await _inbound.TryHandleAsync(Self(), Token));
        Assert.True(await _inbound.TryHandleAsync(Groupchat("bob", "seen before the restart", "r-1", sent.AddMinutes(-1)), Token));
        Assert.True(await _inbound.TryHandleAsync(Groupchat("bob", "new", "r-2", sent), Token));

        var events = await EventsAsync();
        Assert.Equal(RoomState.Joined, Assert.IsType<RoomStateChanged>(events[0]).State);
        Assert.Equal("new", Assert.IsType<RoomMessageReceived>(Assert.Single(events.Skip(1))).Message.Body);
        Assert.Equal(RoomJoinState.Joined, Assert.Single(_table.List()).State);

        // The entry was stored at the self-presence; the message after it is stored with the next change.
        await new RoomPersistence(_table, _store, "t", "s", NullLogger.Instance).PersistChangedAsync();
        var stored = Assert.Single(await _store.LoadRoomsAsync("t", "s", Token));
        Assert.Equal(sent, stored.LastMessageAt);
        Assert.Equal(["r-1", "r-2"], stored.RecentStanzaIds);
    }

    [Fact]
    [Trait("Spec", "XEP-0045 §10.1.1")]
    public async Task SelfPresenceCreatingTheRoom_QueuedForConfiguration_NotReportedJoinedYet()
    {
        lock (_table.Gate)
        {
            _table.Add(new RoomEntry(Room, "alice", password: null));
        }

        Assert.True(await _inbound.TryHandleAsync(Self(codes: MucStatus.Created), Token));

        await using var toConfigure = _table.ToConfigureAsync(Token).GetAsyncEnumerator(Token);
        Assert.True(await toConfigure.MoveNextAsync().AsTask().WaitAsync(Patience, Token));
        Assert.Equal(Room, toConfigure.Current);
        lock (_table.Gate)
        {
            Assert.True(_table.TryGet(Room, out var entry));
            Assert.True(entry.Created);
            Assert.Contains(MucStatus.Created, entry.CreatedStatusCodes);
        }

        // "joined" waits for the configuration (RoomsFeature); the journal, flushed, holds nothing.
        Assert.Empty(await EventsAsync());
    }

    [Fact]
    [Trait("Spec", "XEP-0045 §7.6")]
    public async Task NickChangeRefused_StaysInUnderTheOldNick()
    {
        lock (_table.Gate)
        {
            _table.Add(new RoomEntry(Room, "alice", password: null));
        }

        await _inbound.TryHandleAsync(Self(), Token);

        Assert.True(await _inbound.TryHandleAsync(new Presence { From = Room.WithResource("bob"), Type = PresenceType.Error, Error = StanzaError.Of(StanzaErrorCondition.Conflict) }, Token));

        var room = Assert.Single(_table.List());
        Assert.Equal((RoomJoinState.Joined, "alice"), (room.State, room.Nick));
        Assert.Single(await _store.LoadRoomsAsync("t", "s", Token));
    }
}
