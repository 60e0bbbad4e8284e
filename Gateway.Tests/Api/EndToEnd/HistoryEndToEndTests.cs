using System.Xml.Linq;
using Gateway.Api.Contracts;
using Gateway.Api.Hubs;
using Gateway.Tests.Api.Hubs;
using Gateway.Tests.Integration.Client;
using Gateway.Tests.Integration.Prosody;
using Gateway.Xmpp;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace Gateway.Tests.Api.EndToEnd;

/// <summary>
/// <c>GET …/history</c> and <c>…/rooms/{room}/history</c> against Prosody's mod_mam and mod_muc_mam: conversations
/// between the session's account and independent accounts (library clients), paged through in both orders.
/// </summary>
[Trait("Tier", "Api")]
public sealed class HistoryEndToEndTests(ProsodyFixture prosody) : HubEndToEndTest(prosody)
{
    private static readonly XNamespace Muc = "http://jabber.org/protocol/muc";
    private static readonly XNamespace MucOwner = "http://jabber.org/protocol/muc#owner";
    private static readonly XNamespace Data = "jabber:x:data";

    /// <summary>Every page of a read, following <c>next</c>: the items in order, and how many pages it took.</summary>
    private static async Task<(List<MessageDto> Items, int Pages)> ReadAllAsync(HttpClient client, string url, string query)
    {
        var items = new List<MessageDto>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await (await client.GetAsync(url + "?" + query + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)), Token)).ReadAsync<HistoryPageDto>(200);
            pages++;
            Assert.Equal(page.Next is null, page.Complete);
            items.AddRange(page.Items);
            cursor = page.Next;
            Assert.True(pages < 50, "no end to the pages");
        }
        while (cursor is not null);

        return (items, pages);
    }

    /// <summary>Waits for the server clock to pass into the next second: Prosody stamps archive entries in whole seconds.</summary>
    private static async Task NextSecondAsync()
    {
        var now = DateTimeOffset.UtcNow;
        await Task.Delay(TimeSpan.FromMilliseconds(1_050 - now.Millisecond), Token);
    }

    [Fact]
    [Trait("Spec", "XEP-0313 §4, XEP-0059 §2")]
    public async Task History_ConversationOverThreePages_EachMessageOnceInBothOrders()
    {
        var (session, alice) = await CreateSessionWithAccountAsync("hist");
        await using var bob = await TestClients.ConnectOnlineAsync(Prosody.Server, await Prosody.CreateAccountAsync("bob", Token));
        await using var carol = await TestClients.ConnectOnlineAsync(Prosody.Server, await Prosody.CreateAccountAsync("carol", Token));
        var (hub, events) = await ConnectAsync();
        await hub.InvokeAsync<SubscriptionDto>("Subscribe", session.Id, Token);
        using var client = App.CreateAlphaClient();
        var url = $"/api/v1/sessions/{session.Id}/history";

        // Three batches in three different seconds; bob and alice take turns, carol interjects (not in 'with=bob').
        var sent = new List<string>();
        var liveIds = new Dictionary<string, string?>();
        for (var batch = 0; batch < 3; batch++)
        {
            if (batch > 0)
            {
                await NextSecondAsync();
            }

            for (var i = 0; i < 3; i++)
            {
                var body = $"b{batch}-{i}";
                sent.Add(body);
                if (i % 2 == 0)
                {
                    await bob.SendAsync(new Message { To = Jid.Parse(alice.Bare), Type = MessageType.Chat, Body = body, Id = body }, Token);
                    liveIds[body] = (await events.NextAsync<MessageDto>(m => m.Data.Body == body)).Data.StanzaId;
                }
                else
                {
                    await (await client.PostJsonAsync($"/api/v1/sessions/{session.Id}/messages", new PostMessageRequest { To = bob.Jid.Bare.ToString(), Type = "chat", Body = body })).ReadAsync<StanzaAcceptedDto>(202);
                    await bob.ReceiveAsync<Message>(m => m.Body == body);
                }
            }

            await carol.SendAsync(new Message { To = Jid.Parse(alice.Bare), Type = MessageType.Chat, Body = $"carol-{batch}" }, Token);
            await events.NextAsync<MessageDto>(m => m.Data.Body == $"carol-{batch}");
        }

        var with = Uri.EscapeDataString(bob.Jid.Bare.ToString());
        var (oldest, oldestPages) = await ReadAllAsync(client, url, $"with={with}&limit=4&order=oldest");
        var (newest, newestPages) = await ReadAllAsync(client, url, $"with={with}&limit=4");

        Assert.Equal(sent, oldest.Select(m => m.Body));
        Assert.Equal(Enumerable.Reverse(sent), newest.Select(m => m.Body));
        Assert.Equal((3, 3), (oldestPages, newestPages));
        Assert.Equal(oldest.Count, oldest.Select(m => m.StanzaId).Distinct().Count());
        Assert.All(oldest, m => Assert.NotNull(m.Delay));
        Assert.All(oldest.Where(m => m.From?.StartsWith(bob.Jid.Bare.ToString(), StringComparison.Ordinal) == true), m => Assert.Equal(bob.Jid.ToString(), m.From));

        // Live messages carry the same archive id as their history entry (Prosody announces urn:xmpp:sid:0).
        Assert.All(liveIds, live => Assert.Equal(live.Value, oldest.Single(m => m.Body == live.Key).StanzaId));

        // Without 'with': carol's too, still each once.
        var (all, _) = await ReadAllAsync(client, url, "limit=5&order=oldest");
        Assert.Equal(sent.Count + 3, all.Count);
        Assert.Equal(all.Count, all.Select(m => m.StanzaId).Distinct().Count());

        // start/end: inclusive instants, compared with the archive's own stamps.
        var middle = oldest.Single(m => m.Body == "b1-0").Delay!.Value;
        var stamp = Uri.EscapeDataString(middle.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
        var (window, _) = await ReadAllAsync(client, url, $"with={with}&start={stamp}&end={stamp}&limit=2&order=oldest");
        Assert.Equal(oldest.Where(m => m.Delay == middle).Select(m => m.Body), window.Select(m => m.Body));
        Assert.Contains("b1-0", window.Select(m => m.Body));
        Assert.DoesNotContain(window, m => m.Body!.StartsWith("b0", StringComparison.Ordinal) || m.Body.StartsWith("b2", StringComparison.Ordinal));
        var (fromMiddle, _) = await ReadAllAsync(client, url, $"with={with}&start={stamp}&order=newest");
        Assert.Equal(oldest.Where(m => m.Delay >= middle).Select(m => m.Body).Reverse(), fromMiddle.Select(m => m.Body));
    }

    [Fact]
    [Trait("Spec", "XEP-0203, XEP-0359")]
    public async Task LiveEvent_OfflineMessage_HasDelayAndStanzaIdAlsoWhenReplayed()
    {
        var alice = await Prosody.CreateAccountAsync("hoff", Token);
        await using var bob = await TestClients.ConnectOnlineAsync(Prosody.Server, await Prosody.CreateAccountAsync("bob", Token));

        // Sent while the account has no session: the server keeps it offline and delivers it, delayed, on presence.
        await bob.SendAsync(new Message { To = Jid.Parse(alice.Bare), Type = MessageType.Chat, Body = "while away", Id = "away-1" }, Token);
        await bob.PingAsync(cancellationToken: Token);
        var session = await HubTestKit.CreateSessionAsync(App, Prosody.Server, alice, "s-" + alice.User);
        var (hub, events) = await ConnectAsync();

        // Replayed from the event log: the archive id is kept beside the stored event.
        await hub.InvokeAsync<SubscriptionDto>("SubscribeAfter", session.Id, 0L, Token);
        var live = (await events.NextAsync<MessageDto>(m => m.Data.Body == "while away")).Data;
        using var client = App.CreateAlphaClient();
        var archived = Assert.Single((await (await client.GetAsync($"/api/v1/sessions/{session.Id}/history", Token)).ReadAsync<HistoryPageDto>(200)).Items);

        Assert.NotNull(live.Delay);
        Assert.InRange(live.Delay.Value, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddSeconds(5));
        Assert.NotNull(live.StanzaId);
        Assert.Equal(live.StanzaId, archived.StanzaId);
        Assert.Equal("while away", archived.Body);
    }

    [Fact]
    [Trait("Spec", "XEP-0059 §2")]
    public async Task History_Cursor_CarriesFiltersAndIsRefusedElsewhere()
    {
        var (session, alice) = await CreateSessionWithAccountAsync("hcur");
        var (other, _) = await CreateSessionWithAccountAsync("hcur");
        await using var bob = await TestClients.ConnectOnlineAsync(Prosody.Server, await Prosody.CreateAccountAsync("bob", Token));
        using var client = App.CreateAlphaClient();
        var url = $"/api/v1/sessions/{session.Id}/history";
        for (var i = 0; i < 3; i++)
        {
            await (await client.PostJsonAsync($"/api/v1/sessions/{session.Id}/messages", new PostMessageRequest { To = bob.Jid.Bare.ToString(), Type = "chat", Body = $"c{i}" })).ReadAsync<StanzaAcceptedDto>(202);
            await bob.ReceiveAsync<Message>(m => m.Body == $"c{i}");
        }

        var first = await (await client.GetAsync(url + "?limit=1&order=oldest", Token)).ReadAsync<HistoryPageDto>(200);
        Assert.Equal(["c0"], first.Items.Select(m => m.Body));
        var cursor = Uri.EscapeDataString(first.Next!);

        // The cursor keeps the order; repeating it is fine, changing it is not; other sessions and archives refuse it.
        var second = await (await client.GetAsync($"{url}?limit=1&cursor={cursor}", Token)).ReadAsync<HistoryPageDto>(200);
        Assert.Equal(["c1"], second.Items.Select(m => m.Body));
        Assert.Equal(["c1"], (await (await client.GetAsync($"{url}?limit=1&order=oldest&cursor={cursor}", Token)).ReadAsync<HistoryPageDto>(200)).Items.Select(m => m.Body));
        await (await client.GetAsync($"{url}?order=newest&cursor={cursor}", Token)).ProblemAsync(400, "validation-failed");
        await (await client.GetAsync($"/api/v1/sessions/{other.Id}/history?cursor={cursor}", Token)).ProblemAsync(400, "validation-failed");
        await (await client.GetAsync($"/api/v1/sessions/{session.Id}/rooms/room@{Prosody.Server.MucDomain}/history?cursor={cursor}", Token)).ProblemAsync(400, "validation-failed");
        _ = alice;

        // The hub reads the same pages with the same cursors.
        var (hub, _) = await ConnectAsync();
        var viaHub = await hub.InvokeAsync<HistoryPageDto>("GetHistory", session.Id, new HistoryRequestDto { Limit = 1, Cursor = first.Next }, Token);
        Assert.Equal(["c1"], viaHub.Items.Select(m => m.Body));
        var rest = await hub.InvokeAsync<HistoryPageDto>("GetHistory", session.Id, new HistoryRequestDto { Limit = 5, Cursor = viaHub.Next }, Token);
        Assert.Equal(["c2"], rest.Items.Select(m => m.Body));
        Assert.Equal((true, null), (rest.Complete, rest.Next));
        var refused = await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync<HistoryPageDto>("GetHistory", other.Id, new HistoryRequestDto { Cursor = first.Next }, Token));
        Assert.Contains("HubException: validation-failed: cursor", refused.Message, StringComparison.Ordinal);
    }

    /// <summary>Bob creates a room (instant, XEP-0045 §10.1.2), optionally members-only, and says <paramref name="bodies"/> in it.</summary>
    private async Task<Jid> CreateRoomAsync(XmppClient bob, string name, bool membersOnly, IEnumerable<string> bodies)
    {
        var room = Jid.Parse($"{name}@{Prosody.Server.MucDomain}");
        await bob.SendAsync(new Presence { To = room.WithResource("bob"), Payload = [new XElement(Muc + "x")] }, Token);
        await bob.ReceiveAsync<Presence>(p => p.From == room.WithResource("bob"));
        XElement Field(string var, string value) => new(Data + "field", new XAttribute("var", var), new XElement(Data + "value", value));
        var form = new XElement(Data + "x", new XAttribute("type", "submit"),
            Field("FORM_TYPE", "http://jabber.org/protocol/muc#roomconfig"),
            membersOnly ? Field("muc#roomconfig_membersonly", "1") : null);
        await bob.SendIqAsync(new Iq { Type = IqType.Set, To = room, Payload = [new XElement(MucOwner + "query", form)] }, TestClients.Patience, Token);
        foreach (var body in bodies)
        {
            await bob.SendAsync(new Message { To = room, Type = MessageType.Groupchat, Body = body, Id = body }, Token);

            // The room reflects each message to its sender once it is handled (and archived).
            await bob.ReceiveAsync<Message>(m => m.Type == MessageType.Groupchat && m.Body == body);
        }

        return room;
    }

    [Fact]
    [Trait("Spec", "XEP-0313 §5, XEP-0045")]
    public async Task RoomHistory_PublicRoomWithoutJoining_PagesThroughEveryMessageOnce()
    {
        var (session, _) = await CreateSessionWithAccountAsync("hroom");
        await using var bob = await TestClients.ConnectOnlineAsync(Prosody.Server, await Prosody.CreateAccountAsync("bob", Token));
        string[] said = ["r0", "r1", "r2", "r3", "r4", "r5", "r6"];
        var room = await CreateRoomAsync(bob, $"lobby-{Guid.NewGuid():N}"[..20], membersOnly: false, said);
        using var client = App.CreateAlphaClient();
        var url = $"/api/v1/sessions/{session.Id}/rooms/{room}/history";

        var (newest, pages) = await ReadAllAsync(client, url, "limit=3");
        var (hub, _) = await ConnectAsync();
        var viaHub = await hub.InvokeAsync<HistoryPageDto>("GetRoomHistory", session.Id, room.ToString(), new HistoryRequestDto { Limit = 3 }, Token);
        Assert.Equal(newest.Take(3).Select(m => m.StanzaId), viaHub.Items.Select(m => m.StanzaId));
        var (oldest, _) = await ReadAllAsync(client, url, "limit=2&order=oldest");

        Assert.Equal(said.Reverse(), newest.Select(m => m.Body));
        Assert.Equal(3, pages);
        Assert.Equal(said, oldest.Select(m => m.Body));
        Assert.All(oldest, m => Assert.Equal(("groupchat", room.WithResource("bob").ToString()), (m.Type, m.From)));
        Assert.Equal(said.Length, oldest.Select(m => m.StanzaId).Distinct().Count());
    }

    [Fact]
    [Trait("Spec", "XEP-0313 §5, XEP-0045 §7.2.7")]
    public async Task RoomHistory_MembersOnlyOrUnknownRoom_403And404()
    {
        var (session, _) = await CreateSessionWithAccountAsync("hroom");
        await using var bob = await TestClients.ConnectOnlineAsync(Prosody.Server, await Prosody.CreateAccountAsync("bob", Token));
        var room = await CreateRoomAsync(bob, $"club-{Guid.NewGuid():N}"[..20], membersOnly: true, ["secret"]);
        using var client = App.CreateAlphaClient();

        var forbidden = await (await client.GetAsync($"/api/v1/sessions/{session.Id}/rooms/{room}/history", Token)).ProblemAsync(403, "xmpp-stanza-error");
        var missing = await (await client.GetAsync($"/api/v1/sessions/{session.Id}/rooms/nowhere-{Guid.NewGuid():N}@{Prosody.Server.MucDomain}/history", Token)).ProblemAsync(404, "xmpp-stanza-error");

        Assert.Equal("forbidden", forbidden.GetProperty("xmppCondition").GetString());
        Assert.Equal("item-not-found", missing.GetProperty("xmppCondition").GetString());
        var (hub, _) = await ConnectAsync();
        var refused = await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync<HistoryPageDto>("GetRoomHistory", session.Id, room.ToString(), new HistoryRequestDto(), Token));
        Assert.Contains("HubException: xmpp-stanza-error (forbidden)", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Spec", "XEP-0313 §4.2")]
    public async Task History_WhileApplicationQueriesOwnArchive_EachGetsItsOwnResults()
    {
        var (session, alice) = await CreateSessionWithAccountAsync("hmix");
        await using var bob = await TestClients.ConnectOnlineAsync(Prosody.Server, await Prosody.CreateAccountAsync("bob", Token));
        var (hub, events) = await ConnectAsync();
        await hub.InvokeAsync<SubscriptionDto>("Subscribe", session.Id, Token);
        using var client = App.CreateAlphaClient();
        await bob.SendAsync(new Message { To = Jid.Parse(alice.Bare), Type = MessageType.Chat, Body = "x1", Id = "x1" }, Token);
        await events.NextAsync<MessageDto>(m => m.Data.Body == "x1");

        // An application's query whose id looks like the gateway's own: its result reaches it as a message event.
        var iq = await client.PostJsonAsync($"/api/v1/sessions/{session.Id}/iq", new PostIqRequest { Type = "set", Payload = "<query xmlns='urn:xmpp:mam:2' queryid='gw-app'/>" });
        var page = await (await client.GetAsync($"/api/v1/sessions/{session.Id}/history", Token)).ReadAsync<HistoryPageDto>(200);

        await iq.ReadAsync<IqDto>(200);
        var result = await events.NextAsync<MessageDto>(m => m.Data.Payloads.Any(p => p.Contains("gw-app", StringComparison.Ordinal)));
        Assert.Contains(">x1<", result.Data.Payloads[0], StringComparison.Ordinal);
        Assert.Equal(["x1"], page.Items.Select(m => m.Body));
        Assert.True(page.Complete);

        // The history read's own results never became events: only the application's one did.
        await bob.SendAsync(new Message { To = Jid.Parse(alice.Bare), Type = MessageType.Chat, Body = "sentinel", Id = "sentinel" }, Token);
        await events.NextAsync<MessageDto>(m => m.Data.Body == "sentinel");
        Assert.False(events.Received<MessageDto>(m => m.Data.Payloads.Any(p => p.Contains("urn:xmpp:mam:2", StringComparison.Ordinal))));
    }
}
