using System.Net;
using System.Net.Http.Json;
using Gateway.Api.Hubs;
using Gateway.Api.Contracts;
using Gateway.Tests.Api.Hubs;
using Gateway.Tests.Integration.Client;
using Gateway.Tests.Integration.Prosody;
using Gateway.Xmpp;
using Gateway.Xmpp.Muc;
using Microsoft.AspNetCore.SignalR.Client;

namespace Gateway.Tests.Api.EndToEnd;

/// <summary>Rooms (XEP-0045) through REST and the hub, against the real Prosody, with other occupants as plain clients.</summary>
[Trait("Tier", "Integration")]
[Trait("Spec", "XEP-0045")]
public sealed class RoomsEndToEndTests(ProsodyFixture prosody) : IAsyncDisposable
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private readonly List<IAsyncDisposable> _disposables = [];

    private ProsodyServer Server => prosody.Server;

    public async ValueTask DisposeAsync()
    {
        for (var i = _disposables.Count - 1; i >= 0; i--)
        {
            await _disposables[i].DisposeAsync();
        }
    }

    private Jid NewRoom() => Jid.Parse($"room-{Guid.NewGuid():N}"[..13] + "@" + Server.MucDomain);

    private async Task<(GatewayApiFactory App, HttpClient Client, string SessionId, EventRecorder Events, TestAccount Account)> StartAsync(string prefix, Action<GatewayApiFactory>? configure = null)
    {
        var account = await prosody.CreateAccountAsync(prefix, Token);
        var app = new GatewayApiFactory(Server).UseRealSocket();
        configure?.Invoke(app);
        _disposables.Add(app);
        var session = await HubTestKit.CreateSessionAsync(app, Server, account, prefix);
        var (connection, events) = await HubTestKit.ConnectAsync(app);
        _disposables.Add(connection);
        await connection.InvokeAsync<SubscriptionDto>("Subscribe", session.Id, Token);
        var client = app.CreateAlphaClient();
        return (app, client, session.Id, events, account);
    }

    private async Task<RoomPeer> PeerAsync(string prefix)
    {
        var peer = await RoomPeer.ConnectAsync(Server, await prosody.CreateAccountAsync(prefix, Token));
        _disposables.Add(peer);
        return peer;
    }

    private static Task<HttpResponseMessage> PutJsonAsync<T>(HttpClient client, string url, T body) =>
        client.PutAsJsonAsync(url, body, GatewayApiFactory.Json, Token);

    [Fact]
    public async Task Join_NewRoom_CreatesUnlocksAndAnswersOnceConfirmed_OthersCanEnter()
    {
        var (_, client, id, events, _) = await StartAsync("creator");
        var room = NewRoom();

        var joined = await (await PutJsonAsync(client, $"/api/v1/sessions/{id}/rooms/{room}", new JoinRoomRequest { Nick = "alice" })).ReadAsync<RoomDto>(200);

        Assert.Equal((room.ToString(), "alice", "joined", "owner", "moderator"), (joined.Room, joined.Nick, joined.State, joined.Affiliation, joined.Role));
        var state = await events.NextAsync<RoomStateDto>(e => e.Data.Room == room.ToString());
        Assert.Equal((EventKinds.RoomState, "joined"), (state.Kind, state.Data.State));
        Assert.Contains(MucStatus.Created, state.Data.StatusCodes);

        // §10.1.2: configured as an instant room, so it is unlocked: somebody else can enter at once.
        var bob = await PeerAsync("bob");
        await bob.JoinAsync(room, "bob");
        var arrived = await events.NextAsync<RoomOccupantEventDto>(e => e.Data.Nick == "bob");
        Assert.Equal((EventKinds.RoomOccupant, "joined", "participant"), (arrived.Kind, arrived.Data.Change, arrived.Data.Role));

        var listed = await (await client.GetAsync($"/api/v1/sessions/{id}/rooms", Token)).ReadAsync<RoomDto[]>(200);
        Assert.Equal([room.ToString()], listed.Select(r => r.Room));
        var occupants = await (await client.GetAsync($"/api/v1/sessions/{id}/rooms/{room}/occupants", Token)).ReadAsync<OccupantDto[]>(200);
        Assert.Equal(["alice", "bob"], occupants.Select(o => o.Nick));

        // Idempotent: the same join again answers at once.
        var again = await (await PutJsonAsync(client, $"/api/v1/sessions/{id}/rooms/{room}", new JoinRoomRequest { Nick = "alice" })).ReadAsync<RoomDto>(200);
        Assert.Equal("joined", again.State);
    }

    [Fact]
    public async Task Messages_BothWays_RoomMessageEventsAndReflectionConfirmedSend()
    {
        var (_, client, id, events, _) = await StartAsync("talker");
        var room = NewRoom();
        await (await PutJsonAsync(client, $"/api/v1/sessions/{id}/rooms/{room}", new JoinRoomRequest { Nick = "alice" })).ReadAsync<RoomDto>(200);
        var bob = await PeerAsync("bob");
        await bob.JoinAsync(room, "bob");

        await bob.SayAsync(room, "hello from bob", "bob-1");
        var received = await events.NextAsync<MessageDto>(e => e.Data.Id == "bob-1");
        Assert.Equal((EventKinds.RoomMessage, $"{room}/bob", "groupchat", "hello from bob"), (received.Kind, received.Data.From, received.Data.Type, received.Data.Body));

        var sent = await (await client.PostJsonAsync($"/api/v1/sessions/{id}/rooms/{room}/messages", new PostRoomMessageRequest { Body = "hello from alice" })).ReadAsync<RoomMessageAcceptedDto>(200);
        var atBob = await bob.Client.ReceiveAsync<Message>(m => m.Type == MessageType.Groupchat && m.Body == "hello from alice");
        Assert.Equal((room.WithResource("alice"), sent.Id), (atBob.From, atBob.Id));

        // Our own message comes back from the room as a room message too (the room's copy, with its stanza-id).
        var reflected = await events.NextAsync<MessageDto>(e => e.Data.Id == sent.Id);
        Assert.Equal(EventKinds.RoomMessage, reflected.Kind);
        Assert.False(events.Received<MessageDto>(e => e.Kind == EventKinds.Message && e.Data.From!.StartsWith(room.ToString(), StringComparison.Ordinal)), "a groupchat message went to 'message'");
    }

    [Fact]
    public async Task Subject_InviteAndPrivateMessage_ReachTheirAddressees()
    {
        var (_, client, id, events, account) = await StartAsync("host");
        var room = NewRoom();
        await (await PutJsonAsync(client, $"/api/v1/sessions/{id}/rooms/{room}", new JoinRoomRequest { Nick = "alice" })).ReadAsync<RoomDto>(200);
        var bob = await PeerAsync("bob");
        await bob.JoinAsync(room, "bob");
        var carol = await PeerAsync("carol");

        var subject = await PutJsonAsync(client, $"/api/v1/sessions/{id}/rooms/{room}/subject", new PutRoomSubjectRequest { Subject = "Release planning" });
        Assert.Equal(HttpStatusCode.NoContent, subject.StatusCode);
        var announced = await events.NextAsync<RoomSubjectDto>(e => e.Data.Subject == "Release planning");
        Assert.Equal((EventKinds.RoomSubject, "alice"), (announced.Kind, announced.Data.By));
        Assert.Equal(room.WithResource("alice"), (await bob.Client.ReceiveAsync<Message>(m => m.Subject == "Release planning")).From);
        Assert.Equal("Release planning", (await (await client.GetAsync($"/api/v1/sessions/{id}/rooms", Token)).ReadAsync<RoomDto[]>(200)).Single().Subject);

        var invited = await (await client.PostJsonAsync($"/api/v1/sessions/{id}/rooms/{room}/invitations", new PostRoomInvitationRequest { Jid = carol.Client.Jid.Bare.ToString(), Reason = "join us" })).ReadAsync<StanzaAcceptedDto>(202);
        var invitation = await carol.Client.ReceiveAsync<Message>(m => m.Id == invited.Id);
        var x = invitation.FindPayload(MucElements.Conference);
        Assert.Equal((room.ToString(), "join us", Jid.Parse(account.Bare)), ((string?)x?.Attribute("jid"), (string?)x?.Attribute("reason"), invitation.From?.Bare));

        var whispered = await (await client.PostJsonAsync($"/api/v1/sessions/{id}/rooms/{room}/occupants/bob/messages", new PostRoomMessageRequest { Body = "psst" })).ReadAsync<StanzaAcceptedDto>(202);
        var pm = await bob.Client.ReceiveAsync<Message>(m => m.Body == "psst");
        Assert.Equal((MessageType.Chat, room.WithResource("alice")), (pm.Type, pm.From));
        Assert.Equal(whispered.Id, pm.Id);
    }

    [Fact]
    public async Task Moderation_RoleAffiliationKickAndBan_AppliedAndReportedAsOccupantEvents()
    {
        var (_, client, id, events, _) = await StartAsync("moderator");
        var room = NewRoom();
        await (await PutJsonAsync(client, $"/api/v1/sessions/{id}/rooms/{room}", new JoinRoomRequest { Nick = "alice" })).ReadAsync<RoomDto>(200);
        var bob = await PeerAsync("bob");
        await bob.JoinAsync(room, "bob");
        await events.NextAsync<RoomOccupantEventDto>(e => e.Data.Nick == "bob" && e.Data.Change == "joined");

        var voice = await PutJsonAsync(client, $"/api/v1/sessions/{id}/rooms/{room}/occupants/bob/role", new PutOccupantRoleRequest { Role = "moderator" });
        Assert.Equal(HttpStatusCode.NoContent, voice.StatusCode);
        var promoted = await events.NextAsync<RoomOccupantEventDto>(e => e.Data.Nick == "bob" && e.Data.Change == "role-changed");
        Assert.Equal("moderator", promoted.Data.Role);

        var member = await PutJsonAsync(client, $"/api/v1/sessions/{id}/rooms/{room}/affiliations/{bob.Client.Jid.Bare}", new PutAffiliationRequest { Affiliation = "member" });
        Assert.Equal(HttpStatusCode.NoContent, member.StatusCode);
        Assert.Equal("member", (await events.NextAsync<RoomOccupantEventDto>(e => e.Data.Nick == "bob" && e.Data.Affiliation == "member")).Data.Affiliation);

        var kick = await PutJsonAsync(client, $"/api/v1/sessions/{id}/rooms/{room}/occupants/bob/role", new PutOccupantRoleRequest { Role = "none", Reason = "time out" });
        Assert.Equal(HttpStatusCode.NoContent, kick.StatusCode);
        var kicked = await events.NextAsync<RoomOccupantEventDto>(e => e.Data.Nick == "bob" && e.Data.Change == "left");
        Assert.Contains(MucStatus.Kicked, kicked.Data.StatusCodes);
        Assert.Equal("time out", kicked.Data.Reason);

        var ban = await PutJsonAsync(client, $"/api/v1/sessions/{id}/rooms/{room}/affiliations/{bob.Client.Jid.Bare}", new PutAffiliationRequest { Affiliation = "outcast" });
        Assert.Equal(HttpStatusCode.NoContent, ban.StatusCode);
        var refused = await Assert.ThrowsAsync<StanzaErrorException>(() => bob.JoinAsync(room, "bob-again"));
        Assert.Equal(StanzaErrorCondition.Forbidden, refused.Error.Condition);
    }

    [Fact]
    [Trait("Spec", "XEP-0045 §7.6")]
    public async Task NickChanges_OursThroughPut_TheirsAsOccupantEvent()
    {
        var (_, client, id, events, _) = await StartAsync("renamer");
        var room = NewRoom();
        await (await PutJsonAsync(client, $"/api/v1/sessions/{id}/rooms/{room}", new JoinRoomRequest { Nick = "alice" })).ReadAsync<RoomDto>(200);
        var bob = await PeerAsync("bob");
        await bob.JoinAsync(room, "bob");
        await events.NextAsync<RoomOccupantEventDto>(e => e.Data.Nick == "bob" && e.Data.Change == "joined");

        var renamed = await (await PutJsonAsync(client, $"/api/v1/sessions/{id}/rooms/{room}", new JoinRoomRequest { Nick = "alicia" })).ReadAsync<RoomDto>(200);
        Assert.Equal(("alicia", "joined"), (renamed.Nick, renamed.State));
        await bob.Client.ReceiveAsync<Presence>(p => p.From == room.WithResource("alicia") && p.Type == PresenceType.Available);

        // Taken already: refused, and we keep the nick we have.
        var taken = await (await PutJsonAsync(client, $"/api/v1/sessions/{id}/rooms/{room}", new JoinRoomRequest { Nick = "bob" })).ProblemAsync(409, "xmpp-stanza-error");
        Assert.Equal("conflict", taken.GetProperty("xmppCondition").GetString());
        Assert.Equal("alicia", (await (await client.GetAsync($"/api/v1/sessions/{id}/rooms", Token)).ReadAsync<RoomDto[]>(200)).Single().Nick);

        await bob.Client.SendAsync(new Presence { To = room.WithResource("robert") }, Token);
        var changed = await events.NextAsync<RoomOccupantEventDto>(e => e.Data.Change == "nick-changed");
        Assert.Equal(("bob", "robert"), (changed.Data.Nick, changed.Data.NewNick));
        var occupants = await (await client.GetAsync($"/api/v1/sessions/{id}/rooms/{room}/occupants", Token)).ReadAsync<OccupantDto[]>(200);
        Assert.Equal(["alicia", "robert"], occupants.Select(o => o.Nick));
        await bob.SayAsync(room, "sentinel", "sentinel-1"); // after the presence under the new nick
        await events.NextAsync<MessageDto>(e => e.Data.Id == "sentinel-1");
        Assert.False(events.Received<RoomOccupantEventDto>(e => e.Data.Nick == "robert" && e.Data.Change == "joined"), "a nick change was reported as an arrival");
    }

    [Fact]
    public async Task Leave_ThenEverythingAboutTheRoom_404Or409()
    {
        var (_, client, id, events, _) = await StartAsync("leaver");
        var room = NewRoom();
        await (await PutJsonAsync(client, $"/api/v1/sessions/{id}/rooms/{room}", new JoinRoomRequest { Nick = "alice" })).ReadAsync<RoomDto>(200);

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/v1/sessions/{id}/rooms/{room}", Token)).StatusCode);

        Assert.Equal("left", (await events.NextAsync<RoomStateDto>(e => e.Data.State != "joined")).Data.State);
        Assert.Empty(await (await client.GetAsync($"/api/v1/sessions/{id}/rooms", Token)).ReadAsync<RoomDto[]>(200));
        await (await client.GetAsync($"/api/v1/sessions/{id}/rooms/{room}/occupants", Token)).ProblemAsync(404, "room-not-found");
        await (await client.DeleteAsync($"/api/v1/sessions/{id}/rooms/{room}", Token)).ProblemAsync(404, "room-not-found");
        await (await client.PostJsonAsync($"/api/v1/sessions/{id}/rooms/{room}/messages", new PostRoomMessageRequest { Body = "anyone?" })).ProblemAsync(409, "room-not-joined");
        await (await PutJsonAsync(client, $"/api/v1/sessions/{id}/rooms/{room}/subject", new PutRoomSubjectRequest { Subject = "x" })).ProblemAsync(409, "room-not-joined");
        await (await client.PostJsonAsync($"/api/v1/sessions/{id}/rooms/{room}/invitations", new PostRoomInvitationRequest { Jid = "carol@example.com" })).ProblemAsync(409, "room-not-joined");
        await (await client.PostJsonAsync($"/api/v1/sessions/{id}/rooms/{room}/occupants/bob/messages", new PostRoomMessageRequest { Body = "psst" })).ProblemAsync(409, "room-not-joined");
        await (await PutJsonAsync(client, $"/api/v1/sessions/{id}/rooms/{room}/occupants/bob/role", new PutOccupantRoleRequest { Role = "none" })).ProblemAsync(409, "room-not-joined");
        await (await PutJsonAsync(client, $"/api/v1/sessions/{id}/rooms/{room}/affiliations/bob@example.com", new PutAffiliationRequest { Affiliation = "outcast" })).ProblemAsync(409, "room-not-joined");
    }

    [Fact]
    public async Task BadInput_And_ForeignSession_Refused()
    {
        var (app, client, id, _, _) = await StartAsync("validator");
        var room = NewRoom();

        var notARoom = await (await PutJsonAsync(client, $"/api/v1/sessions/{id}/rooms/{Uri.EscapeDataString("bob@example.com/desk")}", new JoinRoomRequest { Nick = "alice" })).ProblemAsync(400, "validation-failed");
        Assert.True(notARoom.GetProperty("errors").TryGetProperty("room", out _));
        await (await PutJsonAsync(client, $"/api/v1/sessions/{id}/rooms/{room}", new JoinRoomRequest { Nick = "" })).ProblemAsync(400, "validation-failed");
        await (await PutJsonAsync(client, $"/api/v1/sessions/{id}/rooms/{room}", new JoinRoomRequest { Nick = "a", History = new RoomHistoryRequest { MaxStanzas = -1 } })).ProblemAsync(400, "validation-failed");
        await (await PutJsonAsync(client, $"/api/v1/sessions/{id}/rooms/{room}/occupants/bob/role", new PutOccupantRoleRequest { Role = "king" })).ProblemAsync(400, "validation-failed");
        await (await PutJsonAsync(client, $"/api/v1/sessions/{id}/rooms/{room}/affiliations/bob@example.com", new PutAffiliationRequest { Affiliation = "friend" })).ProblemAsync(400, "validation-failed");
        await (await client.PostJsonAsync($"/api/v1/sessions/{id}/rooms/{room}/messages", new PostRoomMessageRequest())).ProblemAsync(400, "validation-failed");

        // Another tenant does not see the session at all.
        using var beta = app.CreateBetaClient();
        await (await beta.GetAsync($"/api/v1/sessions/{id}/rooms", Token)).ProblemAsync(404, "session-not-found");
        await (await PutJsonAsync(beta, $"/api/v1/sessions/{id}/rooms/{room}", new JoinRoomRequest { Nick = "mallory" })).ProblemAsync(404, "session-not-found");
    }
}
