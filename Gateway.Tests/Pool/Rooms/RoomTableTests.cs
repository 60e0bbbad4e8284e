using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Persistence;
using Gateway.Xmpp.Pool.Rooms;
using static Gateway.Tests.Pool.Rooms.RoomStanzas;

namespace Gateway.Tests.Pool.Rooms;

/// <summary>The state the room parts share, on its own.</summary>
[Trait("Tier", "Unit")]
[Trait("Spec", "XEP-0045")]
public sealed class RoomTableTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    [Trait("Spec", "XEP-0410 §3")]
    public async Task InAnyRoomAsync_InNoRoom_WaitsForTheFirst_WaitsAgainOnceAllAreGone()
    {
        var table = new RoomTable();
        var first = table.InAnyRoomAsync(Token);
        Assert.False(first.IsCompleted);

        lock (table.Gate)
        {
            table.Add(new RoomEntry(Room, "alice", password: null));
        }

        await first.WaitAsync(Patience, Token);
        Assert.True(table.InAnyRoomAsync(Token).IsCompleted);

        lock (table.Gate)
        {
            table.Remove(Room);
        }

        // In no room again: the self-ping has nothing to wait for until the next room.
        var second = table.InAnyRoomAsync(Token);
        Assert.False(second.IsCompleted);
        table.Restore([new StoredRoom("t", "s", Room, "alice", Password: null)]);
        await second.WaitAsync(Patience, Token);
    }

    [Fact]
    [Trait("Spec", "XEP-0359 §3")]
    public void Restore_RoomsToEnterAgain_RememberTheirStoredStanzaIds()
    {
        var table = new RoomTable();
        var other = Jid.Parse("b@conference.example.com/alice");

        table.Restore(
        [
            new StoredRoom("t", "s", other, "alice", "pw") { RecentStanzaIds = ["r-1"] },
            new StoredRoom("t", "s", Room, "bob", Password: null),
        ]);

        // Ordered by bare room JID, none joined yet; the room is known by its bare JID whatever was stored.
        Assert.Equal([(other.Bare, "alice"), (Room, "bob")], table.List().Select(r => (r.Room, r.Nick)));
        Assert.All(table.List(), r => Assert.Equal(RoomJoinState.Rejoining, r.State));
        lock (table.Gate)
        {
            Assert.True(table.TryGet(other.Bare, out var entry));
            Assert.True(entry.Confirmed);
            Assert.False(entry.Remember("r-1"));
            Assert.True(entry.Remember("r-2"));
        }
    }

    [Fact]
    [Trait("Spec", "XEP-0045 §7.4")]
    public void TryGetSend_OnlyTheRoomItWentTo_SettlesIt()
    {
        var table = new RoomTable();
        var done = new TaskCompletionSource();
        lock (table.Gate)
        {
            table.AddSend("m-1", Room, done);

            Assert.False(table.TryGetSend("m-1", Jid.Parse("other@conference.example.com"), out _));
            Assert.True(table.TryGetSend("m-1", Room, out var found));
            Assert.Same(done, found);

            table.RemoveSend("m-1");
            Assert.False(table.TryGetSend("m-1", Room, out _));
        }
    }
}
