using System.Xml.Linq;
using Gateway.Xmpp;
using Gateway.Xmpp.Muc;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Persistence;
using static Gateway.Tests.Persistence.PersistenceTestKit;

namespace Gateway.Tests.Persistence;

/// <summary>The rooms each session is in (<see cref="IRoomStore"/>), and room events in the journal.</summary>
public abstract partial class PoolStoreContractTests
{
    private static readonly Jid Dev = Jid.Parse("dev@conference.example.com");
    private static readonly Jid Ops = Jid.Parse("ops@conference.example.com");

    [Fact]
    public async Task SaveRoomAsync_ReplacesPerRoom_LoadRoomsHasThatSessionsOnly_InRoomOrder()
    {
        await Store.SaveRoomAsync(new StoredRoom("t", "s", Ops, "alice", Password: null), Token);
        await Store.SaveRoomAsync(new StoredRoom("t", "s", Dev, "alice", "old secret"), Token);
        await Store.SaveRoomAsync(new StoredRoom("t", "s", Dev, "alice2", "s3cret ünï <&>") { LastMessageAt = T0, RecentStanzaIds = ["a", "b"] }, Token);
        await Store.SaveRoomAsync(new StoredRoom("t", "other", Dev, "bob", Password: null), Token);
        await Store.SaveRoomAsync(new StoredRoom("u", "s", Dev, "carol", Password: null), Token);

        var rooms = await Store.LoadRoomsAsync("t", "s", Token);

        Assert.Equal([Dev, Ops], rooms.Select(r => r.Room));
        var dev = rooms[0];
        Assert.Equal(("t", "s", "alice2", "s3cret ünï <&>", T0), (dev.Tenant, dev.SessionId, dev.Nick, dev.Password, dev.LastMessageAt));
        Assert.Equal(["a", "b"], dev.RecentStanzaIds);
        Assert.Null(rooms[1].Password);
        Assert.Null(rooms[1].LastMessageAt);
        Assert.Empty(await Store.LoadRoomsAsync("t", "never-existed", Token));
    }

    [Fact]
    public async Task DeleteRoomAsync_ForgetsOneRoom_DeleteSessionDataAllOfTheSessions()
    {
        await Store.SaveRoomAsync(new StoredRoom("t", "s", Dev, "alice", Password: null), Token);
        await Store.SaveRoomAsync(new StoredRoom("t", "s", Ops, "alice", Password: null), Token);
        await Store.SaveRoomAsync(new StoredRoom("t", "kept", Dev, "bob", Password: null), Token);

        await Store.DeleteRoomAsync("t", "s", Ops, Token);
        await Store.DeleteRoomAsync("t", "s", Jid.Parse("never@conference.example.com"), Token);
        Assert.Equal([Dev], (await Store.LoadRoomsAsync("t", "s", Token)).Select(r => r.Room));

        await Store.DeleteSessionDataAsync("t", "s", Token);
        Assert.Empty(await Store.LoadRoomsAsync("t", "s", Token));
        Assert.Single(await Store.LoadRoomsAsync("t", "kept", Token));
    }

    [Fact]
    public async Task CommitAsync_RoomEvents_ReadBackWithSameContent()
    {
        var at = T0;
        SessionEvent[] events =
        [
            new RoomMessageReceived("t", "s", 1, at, new Message
            {
                From = Dev.WithResource("bob"),
                Id = "g1",
                Type = MessageType.Groupchat,
                Body = "hello room <&> ünï",
                Payload = [new XElement(XName.Get("stanza-id", "urn:xmpp:sid:0"), new XAttribute("id", "r-1"), new XAttribute("by", Dev.ToString()))],
            }),
            new RoomOccupantChanged("t", "s", 2, at, Dev, RoomOccupantChange.NickChanged, new RoomOccupant("bob", Jid.Parse("bob@example.com/phone"), MucRole.Participant, MucAffiliation.Member), [303])
            {
                NewNick = "robert",
            },
            new RoomOccupantChanged("t", "s", 3, at, Dev, RoomOccupantChange.Left, new RoomOccupant("eve", null, MucRole.None, MucAffiliation.Outcast), [301]) { Reason = "spam" },
            new RoomSubjectChanged("t", "s", 4, at, Dev, "Release planning", "alice"),
            new RoomStateChanged("t", "s", 5, at, Dev, RoomState.Kicked, "alice") { Reason = "off topic", StatusCodes = [110, 307] },
            new RoomStateChanged("t", "s", 6, at, Ops, RoomState.JoinFailed, "alice") { ErrorCondition = "forbidden" },
        ];

        await Store.CommitEventsAsync(events);

        var read = (await Store.ReadAsync("t", "s", 0, 100)).Events;
        AssertSameEvents(events, read);
        var nick = Assert.IsType<RoomOccupantChanged>(read[1]);
        Assert.Equal(("robert", Dev, MucAffiliation.Member), (nick.NewNick, nick.Room, nick.Occupant.Affiliation));
        Assert.Equal(Dev, Assert.IsType<RoomMessageReceived>(read[0]).Room);
        Assert.Equal(RoomState.JoinFailed, Assert.IsType<RoomStateChanged>(read[5]).State);
    }
}
