using System.Net.Http.Json;
using Gateway.Api.Contracts;
using Gateway.Api.Hubs;
using Gateway.Tests.Api.Hubs;
using Gateway.Tests.Integration.Client;
using Gateway.Tests.Integration.Prosody;
using Gateway.Xmpp;
using Microsoft.AspNetCore.SignalR.Client;

namespace Gateway.Tests.Api.EndToEnd;

/// <summary>
/// The session stays in its rooms without any API call: after a server restart (a new stream, RFC 6121 §4.6: the
/// server forgot the directed presence that made us occupants) and after a gateway restart (the rooms come from the
/// store), with history limited to what was missed (XEP-0045 §7.2.15) and nothing published twice.
/// </summary>
[Trait("Tier", "Integration")]
[Trait("Spec", "XEP-0045 §7.2")]
public sealed class RoomRejoinTests(ProsodyFixture prosody) : IAsyncDisposable
{
    private const string MucJoin = "<x xmlns='http://jabber.org/protocol/muc'/>";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private readonly List<IAsyncDisposable> _disposables = [];
    private readonly string _storage = GatewayApiFactory.NewStorageDirectory();

    public async ValueTask DisposeAsync()
    {
        for (var i = _disposables.Count - 1; i >= 0; i--)
        {
            await _disposables[i].DisposeAsync();
        }

        try
        {
            Directory.Delete(_storage, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private static Jid NewRoom(ProsodyServer server) => Jid.Parse($"room-{Guid.NewGuid():N}"[..13] + "@" + server.MucDomain);

    private T Own<T>(T disposable)
        where T : IAsyncDisposable
    {
        _disposables.Add(disposable);
        return disposable;
    }

    private async Task<EventRecorder> SubscribeAsync(GatewayApiFactory app, string sessionId, long? after = null)
    {
        var (connection, events) = await HubTestKit.ConnectAsync(app);
        Own(connection);
        await (after is { } last
            ? connection.InvokeAsync<SubscriptionDto>("SubscribeAfter", sessionId, last, Token)
            : connection.InvokeAsync<SubscriptionDto>("Subscribe", sessionId, Token));
        return events;
    }

    private static Task<HttpResponseMessage> JoinAsync(HttpClient client, string id, Jid room, string nick) =>
        client.PutAsJsonAsync($"/api/v1/sessions/{id}/rooms/{room}", new JoinRoomRequest { Nick = nick }, GatewayApiFactory.Json, Token);

    [Fact]
    public async Task ProsodyRestart_SessionBackInItsRoomsWithoutAnyCall_RawPresenceJoinIncluded()
    {
        await using var server = await ProsodyServer.StartAsync(cancellationToken: Token);
        var alice = await server.CreateAccountAsync("alice", Token);
        var bobAccount = await server.CreateAccountAsync("bob", Token);
        var app = Own(new GatewayApiFactory(server).UseRealSocket());
        app.Settings["Gateway:Pool:ReconnectBaseDelay"] = "00:00:00.200";
        app.Settings["Gateway:Pool:ReconnectMaxDelay"] = "00:00:01";
        var session = await HubTestKit.CreateSessionAsync(app, server, alice, "alice");
        var events = await SubscribeAsync(app, session.Id);
        using var client = app.CreateAlphaClient();
        var viaApi = NewRoom(server);
        var viaPresence = NewRoom(server);

        await (await JoinAsync(client, session.Id, viaApi, "alice")).ReadAsync<RoomDto>(200);

        // A raw MUC presence through the API counts as a join (and is entered again like the other).
        await (await client.PostJsonAsync($"/api/v1/sessions/{session.Id}/presence", new PostPresenceRequest { To = $"{viaPresence}/alice", Payloads = [MucJoin] })).ReadAsync<StanzaAcceptedDto>(202);
        var rawJoined = await events.NextAsync<RoomStateDto>(e => e.Data.Room == viaPresence.ToString() && e.Data.State == "joined");
        Assert.Contains(201, rawJoined.Data.StatusCodes); // it created the room: unlocked by the gateway (instant room)

        await server.RestartAsync(Token);

        foreach (var room in new[] { viaApi, viaPresence })
        {
            await events.NextAsync<RoomStateDto>(e => e.Data.Room == room.ToString() && e.Data.State == "rejoining");
            await events.NextAsync<RoomStateDto>(e => e.Data.Room == room.ToString() && e.Data.State == "joined");
        }

        var rooms = await (await client.GetAsync($"/api/v1/sessions/{session.Id}/rooms", Token)).ReadAsync<RoomDto[]>(200);
        Assert.All(rooms, r => Assert.Equal("joined", r.State));
        Assert.Equal(2, rooms.Length);

        // The room knows us again: another occupant sees us and we get what they say.
        await using var bob = await RoomPeer.ConnectAsync(server, bobAccount);
        await bob.JoinAsync(viaApi, "bob");
        await bob.Client.ReceiveAsync<Presence>(p => p.From == viaApi.WithResource("alice") && p.Type == PresenceType.Available);
        await bob.SayAsync(viaApi, "after the restart", "after-1");
        Assert.Equal(EventKinds.RoomMessage, (await events.NextAsync<MessageDto>(e => e.Data.Id == "after-1")).Kind);
        app.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task GatewayRestart_SessionBackInItsRooms_OnlyWhatWasMissedIsPublished()
    {
        var alice = await prosody.CreateAccountAsync("alice", Token);
        var room = NewRoom(prosody.Server);
        var bob = Own(await RoomPeer.ConnectAsync(prosody.Server, await prosody.CreateAccountAsync("bob", Token)));
        await bob.CreateAsync(room, "bob");

        var first = Own(new GatewayApiFactory(prosody.Server) { StorageDirectory = _storage, KeepStorage = true }.UseRealSocket());
        var session = await HubTestKit.CreateSessionAsync(first, prosody.Server, alice, "restarting");
        var events = await SubscribeAsync(first, session.Id);
        using (var client = first.CreateAlphaClient())
        {
            await (await JoinAsync(client, session.Id, room, "alice")).ReadAsync<RoomDto>(200);
        }

        await bob.SayAsync(room, "before the restart", "before-1");
        var lastSeen = (await events.NextAsync<MessageDto>(e => e.Data.Id == "before-1")).EventId;
        await first.DisposeAsync();

        // Said while no gateway ran: only the room's history has it.
        await bob.Client.ReceiveAsync<Presence>(p => p.From == room.WithResource("alice") && p.Type == PresenceType.Unavailable);
        await bob.SayAsync(room, "while the gateway was down", "down-1");

        var second = Own(new GatewayApiFactory(prosody.Server) { StorageDirectory = _storage, KeepStorage = true }.UseRealSocket());
        var returned = await SubscribeAsync(second, session.Id, lastSeen);
        await returned.NextAsync<RoomStateDto>(e => e.Data.Room == room.ToString() && e.Data.State == "joined");
        Assert.Equal(EventKinds.RoomMessage, (await returned.NextAsync<MessageDto>(e => e.Data.Id == "down-1")).Kind);

        // A live message after the history is the sentinel: whatever would be repeated came before it.
        await bob.Client.ReceiveAsync<Presence>(p => p.From == room.WithResource("alice") && p.Type == PresenceType.Available);
        await bob.SayAsync(room, "after the restart", "after-1");
        await returned.NextAsync<MessageDto>(e => e.Data.Id == "after-1");
        Assert.False(returned.Received<MessageDto>(e => e.Data.Id is "before-1" or "down-1"), "a room message was published twice");

        using (var client = second.CreateAlphaClient())
        {
            var rooms = await (await client.GetAsync($"/api/v1/sessions/{session.Id}/rooms", Token)).ReadAsync<RoomDto[]>(200);
            Assert.Equal([(room.ToString(), "alice", "joined")], rooms.Select(r => (r.Room, r.Nick, r.State)));
        }

        first.Logs.AssertNoErrors();
        second.Logs.AssertNoErrors();
    }

    [Fact]
    [Trait("Spec", "XEP-0410 §3")]
    public async Task SelfPing_AgainstProsody_StillJoined_NoRejoin()
    {
        var alice = await prosody.CreateAccountAsync("alice", Token);
        var room = NewRoom(prosody.Server);
        var app = Own(new GatewayApiFactory(prosody.Server).UseRealSocket());
        app.Settings["Gateway:Pool:RoomSelfPingInterval"] = "00:00:00.300";
        var session = await HubTestKit.CreateSessionAsync(app, prosody.Server, alice, "pinger");
        var events = await SubscribeAsync(app, session.Id);
        using var client = app.CreateAlphaClient();
        await (await JoinAsync(client, session.Id, room, "alice")).ReadAsync<RoomDto>(200);

        // Two rounds of self-pings answered (the log line is the sentinel), and nobody re-entered.
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(Token);
        patience.CancelAfter(TimeSpan.FromSeconds(15));
        while (app.Logs.Entries.Count(e => e.EventId.Id == 4456) < 2)
        {
            await Task.Delay(50, patience.Token);
        }

        Assert.All(app.Logs.Entries.Where(e => e.EventId.Id == 4456), e => Assert.Contains("Joined", e.Message, StringComparison.Ordinal));
        Assert.False(events.Received<RoomStateDto>(e => e.Data.State == "rejoining"));
    }

    [Fact]
    public async Task RawUnavailableToRoom_CountsAsLeave_NotEnteredAgain()
    {
        var alice = await prosody.CreateAccountAsync("alice", Token);
        var room = NewRoom(prosody.Server);
        var app = Own(new GatewayApiFactory(prosody.Server).UseRealSocket());
        var session = await HubTestKit.CreateSessionAsync(app, prosody.Server, alice, "raw-leave");
        var events = await SubscribeAsync(app, session.Id);
        using var client = app.CreateAlphaClient();
        await (await JoinAsync(client, session.Id, room, "alice")).ReadAsync<RoomDto>(200);

        await (await client.PostJsonAsync($"/api/v1/sessions/{session.Id}/presence", new PostPresenceRequest { To = $"{room}/alice", Type = "unavailable" })).ReadAsync<StanzaAcceptedDto>(202);

        Assert.Equal("left", (await events.NextAsync<RoomStateDto>(e => e.Data.State != "joined")).Data.State);
        Assert.Empty(await (await client.GetAsync($"/api/v1/sessions/{session.Id}/rooms", Token)).ReadAsync<RoomDto[]>(200));
    }

    [Fact]
    public async Task StrangerPosingAsRoom_StaysAnOrdinaryMessageAndPresence()
    {
        var alice = await prosody.CreateAccountAsync("alice", Token);
        var app = Own(new GatewayApiFactory(prosody.Server).UseRealSocket());
        var session = await HubTestKit.CreateSessionAsync(app, prosody.Server, alice, "hostile");
        var events = await SubscribeAsync(app, session.Id);
        await using var mallory = await TestClients.ConnectOnlineAsync(prosody.Server, await prosody.CreateAccountAsync("mallory", Token));
        var to = Jid.Parse(session.BoundJid!); // RFC 6121 §8.5.2.1.1: groupchat to a bare JID is not delivered

        // Room-shaped stanzas from a JID that is no room the session is in.
        await mallory.SendAsync(new Presence { To = to, Payload = [System.Xml.Linq.XElement.Parse("<x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='owner' role='moderator'/><status code='110'/></x>")] }, Token);
        await mallory.SendAsync(new Message { To = to, Type = MessageType.Groupchat, Body = "I am a room", Id = "fake-1" }, Token);

        Assert.Equal(EventKinds.Presence, (await events.NextAsync<PresenceDto>(e => e.Data.From == mallory.Jid.ToString())).Kind);
        Assert.Equal(EventKinds.Message, (await events.NextAsync<MessageDto>(e => e.Data.Id == "fake-1")).Kind);
        Assert.False(events.Received<RoomStateDto>(_ => true));
        Assert.False(events.Received<RoomOccupantEventDto>(_ => true));
    }
}
