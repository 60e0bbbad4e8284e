using System.Net.Http.Json;
using Gateway.Api.Contracts;
using Gateway.Tests.Integration.Prosody;
using Gateway.Xmpp;
using Gateway.Xmpp.Muc;

namespace Gateway.Tests.Api.EndToEnd;

/// <summary>
/// Each refusal a room gives (XEP-0045 §7.2.6-§7.2.10, §7.4, §8, §9), as the documented problem: what Prosody 0.12
/// answers, mapped to HTTP. Another occupant (a plain client) owns and configures the rooms.
/// </summary>
[Trait("Tier", "Integration")]
[Trait("Spec", "XEP-0045")]
public sealed class RoomRefusalsTests(ProsodyFixture prosody) : IAsyncDisposable
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

    private async Task<(HttpClient Client, string SessionId, Jid Jid)> SessionAsync(string prefix, Action<GatewayApiFactory>? configure = null)
    {
        var account = await prosody.CreateAccountAsync(prefix, Token);
        var app = new GatewayApiFactory(Server);
        configure?.Invoke(app);
        _disposables.Add(app);
        var client = app.CreateAlphaClient();
        var created = await client.PostJsonAsync("/api/v1/sessions", new CreateSessionRequest { Id = prefix, Jid = account.Bare, Password = account.Password, Host = Server.Host, Port = Server.C2sPort });
        await created.ReadAsync<SessionDto>(201);
        return (client, prefix, Jid.Parse(account.Bare));
    }

    private async Task<RoomPeer> OwnerAsync(Jid room, params (string Var, string Value)[] config)
    {
        var owner = await RoomPeer.ConnectAsync(Server, await prosody.CreateAccountAsync("owner", Token));
        _disposables.Add(owner);
        await owner.CreateAsync(room, "owner", config);
        return owner;
    }

    private static Task<HttpResponseMessage> JoinAsync(HttpClient client, string id, Jid room, string nick, string? password = null) =>
        client.PutAsJsonAsync($"/api/v1/sessions/{id}/rooms/{room}", new JoinRoomRequest { Nick = nick, Password = password }, GatewayApiFactory.Json, Token);

    private static async Task AssertRefusedAsync(HttpResponseMessage response, int status, string condition)
    {
        var problem = await response.ProblemAsync(status, "xmpp-stanza-error");
        Assert.Equal(condition, problem.GetProperty("xmppCondition").GetString());
    }

    [Fact]
    [Trait("Spec", "XEP-0045 §7.2.9")]
    public async Task Join_NickInUse_409Conflict()
    {
        var room = NewRoom();
        await OwnerAsync(room);
        var (client, id, _) = await SessionAsync("nick");

        await AssertRefusedAsync(await JoinAsync(client, id, room, "owner"), 409, "conflict");
        Assert.Empty(await (await client.GetAsync($"/api/v1/sessions/{id}/rooms", Token)).ReadAsync<RoomDto[]>(200));
    }

    [Fact]
    [Trait("Spec", "XEP-0045 §7.2.6")]
    public async Task Join_WrongOrNoPassword_403NotAuthorized_RightPasswordEnters()
    {
        var room = NewRoom();
        await OwnerAsync(room, ("muc#roomconfig_passwordprotectedroom", "1"), ("muc#roomconfig_roomsecret", "s3cret"));
        var (client, id, _) = await SessionAsync("password");

        await AssertRefusedAsync(await JoinAsync(client, id, room, "alice"), 403, "not-authorized");
        await AssertRefusedAsync(await JoinAsync(client, id, room, "alice", "wrong"), 403, "not-authorized");
        Assert.Equal("joined", (await (await JoinAsync(client, id, room, "alice", "s3cret")).ReadAsync<RoomDto>(200)).State);
        Assert.DoesNotContain("s3cret", await (await client.GetAsync($"/api/v1/sessions/{id}/rooms", Token)).Content.ReadAsStringAsync(Token), StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Spec", "XEP-0045 §7.2.7")]
    public async Task Join_MembersOnly_403RegistrationRequired()
    {
        var room = NewRoom();
        await OwnerAsync(room, ("muc#roomconfig_membersonly", "1"));
        var (client, id, _) = await SessionAsync("members");

        await AssertRefusedAsync(await JoinAsync(client, id, room, "alice"), 403, "registration-required");
    }

    [Fact]
    [Trait("Spec", "XEP-0045 §7.2.8")]
    public async Task Join_Banned_403Forbidden()
    {
        var room = NewRoom();
        var owner = await OwnerAsync(room);
        var (client, id, jid) = await SessionAsync("banned");
        await owner.SetAffiliationAsync(room, jid, MucAffiliation.Outcast);

        await AssertRefusedAsync(await JoinAsync(client, id, room, "alice"), 403, "forbidden");
    }

    [Fact]
    [Trait("Spec", "XEP-0045 §7.2.10, §10.1.1")]
    public async Task Join_LockedRoomNotYetConfigured_404ItemNotFound()
    {
        // Prosody 0.12 keeps a new room locked until its creator configures it, and answers anyone else's entry with
        // item-not-found (as XEP-0045 §10.1.1 says a locked room is treated: as if it did not exist).
        var room = NewRoom();
        var creator = await RoomPeer.ConnectAsync(Server, await prosody.CreateAccountAsync("creator", Token));
        _disposables.Add(creator);
        await creator.JoinAsync(room, "creator");
        var (client, id, _) = await SessionAsync("locked");

        await AssertRefusedAsync(await JoinAsync(client, id, room, "alice"), 404, "item-not-found");
    }

    [Fact]
    public async Task Join_NoAnswerInTime_504AndNotKept()
    {
        // A "room" that is somebody's account: the presence is delivered to them, and nobody answers.
        var silent = await prosody.CreateAccountAsync("silent", Token);
        var (client, id, _) = await SessionAsync("timeout", app => app.Settings["Gateway:Pool:IqTimeout"] = "00:00:02");

        await (await JoinAsync(client, id, Jid.Parse(silent.Bare), "alice")).ProblemAsync(504, "xmpp-timeout");
        Assert.Empty(await (await client.GetAsync($"/api/v1/sessions/{id}/rooms", Token)).ReadAsync<RoomDto[]>(200));
    }

    [Fact]
    [Trait("Spec", "XEP-0045 §7.4, §8.1, §8.4")]
    public async Task Participant_ModeratorActionsAndVisitorMessage_403()
    {
        var room = NewRoom();
        var owner = await OwnerAsync(room, ("muc#roomconfig_moderatedroom", "1"), ("muc#roomconfig_changesubject", "0"));
        var (client, id, _) = await SessionAsync("participant");
        await (await JoinAsync(client, id, room, "alice")).ReadAsync<RoomDto>(200);

        // A participant may not kick a moderator, nor ban, nor change the subject here.
        await AssertRefusedAsync(await client.PutAsJsonAsync($"/api/v1/sessions/{id}/rooms/{room}/occupants/owner/role", new PutOccupantRoleRequest { Role = "none" }, GatewayApiFactory.Json, Token), 403, "not-allowed");
        await AssertRefusedAsync(await client.PutAsJsonAsync($"/api/v1/sessions/{id}/rooms/{room}/affiliations/{owner.Client.Jid.Bare}", new PutAffiliationRequest { Affiliation = "outcast" }, GatewayApiFactory.Json, Token), 403, "not-allowed");
        await AssertRefusedAsync(await client.PutAsJsonAsync($"/api/v1/sessions/{id}/rooms/{room}/subject", new PutRoomSubjectRequest { Subject = "mine now" }, GatewayApiFactory.Json, Token), 403, "forbidden");

        // Voice taken away in a moderated room: the room answers the message with an error (§7.4), not a reflection.
        await owner.SetRoleAsync(room, "alice", MucRole.Visitor);
        await WaitForRoleAsync(client, id, room, "visitor");
        await AssertRefusedAsync(await client.PostJsonAsync($"/api/v1/sessions/{id}/rooms/{room}/messages", new PostRoomMessageRequest { Body = "can you hear me?" }), 403, "forbidden");
    }

    private static async Task WaitForRoleAsync(HttpClient client, string id, Jid room, string role)
    {
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(Token);
        patience.CancelAfter(TimeSpan.FromSeconds(15));
        while ((await (await client.GetAsync($"/api/v1/sessions/{id}/rooms", patience.Token)).ReadAsync<RoomDto[]>(200)).Single().Role != role)
        {
            await Task.Delay(50, patience.Token);
        }
    }
}
