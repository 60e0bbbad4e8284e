using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Xml.Linq;
using Gateway.Api.Contracts;
using Gateway.Tests.Api.Auth;
using Gateway.Tests.Integration.Client;
using Gateway.Tests.Integration.Prosody;
using Gateway.Xmpp;
using Gateway.Xmpp.Avatar;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.VCard;
using static Gateway.Tests.Api.EndToEnd.AccountTestKit;

namespace Gateway.Tests.Api.EndToEnd;

/// <summary>
/// The account features over REST against a real Prosody (with HTTP, for uploads), each checked from a second,
/// independent account: presence snapshot, blocking, vCard, avatar, file upload, server capabilities.
/// </summary>
[Trait("Tier", "Integration")]
public sealed class AccountFeaturesTests(AccountProsodyFixture prosody) : IClassFixture<AccountProsodyFixture>
{
    private ProsodyServer Server => prosody.Server;

    private async Task<(GatewayApiFactory App, HttpClient Client, TestAccount Alice)> StartAsync()
    {
        var alice = await Server.CreateAccountAsync("alice", Token);
        var app = new GatewayApiFactory(Server);
        var client = app.CreateAlphaClient();
        await client.CreateSessionAsync(Server, alice, "a");
        return (app, client, alice);
    }

    private Task<PresenceSnapshotDto> SnapshotAsync(HttpClient client) =>
        client.GetAsync("/api/v1/sessions/a/presence", Token).ContinueWith(t => t.Result.ReadAsync<PresenceSnapshotDto>(200), Token).Unwrap();

    [Fact]
    [Trait("Spec", "RFC 6121 §4.4")]
    public async Task Presence_ContactAvailableAwayUnavailable_SnapshotFollows()
    {
        var (app, client, _) = await StartAsync();
        await using var _app = app;
        using var _client = client;
        var bob = await Server.CreateAccountAsync("bob", Token);
        await using var b = await TestClients.ConnectOnlineAsync(Server, bob, "phone");
        await MakeContactsAsync(app, client, "a", b);

        await EventuallyAsync(async () => (await SnapshotAsync(client)).Contacts.Single(c => c.Jid == bob.Bare) is { Available: true, Resources: [{ Show: null }] }, "bob available");
        await b.SendAsync(new Presence { Show = PresenceShow.Away, Status = "lunch", Priority = 3 }, Token);
        await EventuallyAsync(async () => (await SnapshotAsync(client)).Contacts.Single(c => c.Jid == bob.Bare).Resources is [{ Show: "away", Status: "lunch", Priority: 3 } r] && r.Jid == b.Jid.ToString(), "bob away");
        await b.SendAsync(new Presence { Type = PresenceType.Unavailable, Status = "bye" }, Token);
        await EventuallyAsync(async () => (await SnapshotAsync(client)).Contacts.Single(c => c.Jid == bob.Bare) is { Available: false, UnavailableStatus: "bye", UnavailableSince: not null }, "bob unavailable");

        var snapshot = await SnapshotAsync(client);
        Assert.Contains(snapshot.Account.Resources, r => r.Jid.EndsWith("/gateway", StringComparison.Ordinal));
        app.Logs.AssertNoErrors();
    }

    [Fact]
    [Trait("Spec", "XEP-0191 §3")]
    public async Task Blocking_BlockedContactsMessageDropped_UnblockRestores_PushesPublished()
    {
        var (app, client, alice) = await StartAsync();
        await using var _app = app;
        using var _client = client;
        var (bob, carol) = (await Server.CreateAccountAsync("bob", Token), await Server.CreateAccountAsync("carol", Token));
        await using var b = await TestClients.ConnectOnlineAsync(Server, bob);
        await using var c = await TestClients.ConnectOnlineAsync(Server, carol);
        Assert.Empty((await (await client.GetAsync("/api/v1/sessions/a/blocklist", Token)).ReadAsync<BlocklistDto>(200)).Jids);

        Assert.Equal(HttpStatusCode.NoContent, (await client.PutAsync($"/api/v1/sessions/a/blocklist/{bob.Bare}", null, Token)).StatusCode);

        await WaitForEventAsync<BlocklistChanged>(app, "a", e => e.Blocked && e.Jids.Contains(Jid.Parse(bob.Bare)));
        Assert.Equal([bob.Bare], (await (await client.GetAsync("/api/v1/sessions/a/blocklist", Token)).ReadAsync<BlocklistDto>(200)).Jids);

        // Bob's message, then a round trip of bob's (the server has routed the message), then carol's sentinel.
        await b.SendAsync(new Message { To = Jid.Parse(alice.Bare), Type = MessageType.Chat, Body = "while blocked" }, Token);
        await b.PingAsync(cancellationToken: Token);
        await c.SendAsync(new Message { To = Jid.Parse(alice.Bare), Type = MessageType.Chat, Body = "sentinel 1" }, Token);
        await WaitForEventAsync<MessageReceived>(app, "a", e => e.Message.Body == "sentinel 1");
        Assert.DoesNotContain(await EventsAsync(app, "a"), e => e is MessageReceived { Message.Body: "while blocked" });

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/v1/sessions/a/blocklist/{bob.Bare}", Token)).StatusCode);
        await WaitForEventAsync<BlocklistChanged>(app, "a", e => !e.Blocked && e.Jids.Contains(Jid.Parse(bob.Bare)));
        await b.SendAsync(new Message { To = Jid.Parse(alice.Bare), Type = MessageType.Chat, Body = "after unblock" }, Token);
        await WaitForEventAsync<MessageReceived>(app, "a", e => e.Message.Body == "after unblock");

        // XEP-0191 §3.5: unblock all.
        await client.PutAsync($"/api/v1/sessions/a/blocklist/{carol.Bare}", null, Token);
        await client.PutAsync("/api/v1/sessions/a/blocklist/spam.example", null, Token);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/api/v1/sessions/a/blocklist", Token)).StatusCode);
        await WaitForEventAsync<BlocklistChanged>(app, "a", e => !e.Blocked && e.Jids.IsEmpty);
        Assert.Empty((await (await client.GetAsync("/api/v1/sessions/a/blocklist", Token)).ReadAsync<BlocklistDto>(200)).Jids);

        var bad = await client.PutAsync("/api/v1/sessions/a/blocklist/@example.com", null, Token);
        var problem = await bad.ProblemAsync(400, "validation-failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty("jid", out _));
        app.Logs.AssertNoErrors();
    }

    [Fact]
    [Trait("Spec", "XEP-0054 §3")]
    public async Task VCard_SetThenReadByOther_AndContactsReadThroughGateway()
    {
        var (app, client, alice) = await StartAsync();
        await using var _app = app;
        using var _client = client;
        var bob = await Server.CreateAccountAsync("bob", Token);
        await using var b = await TestClients.ConnectOnlineAsync(Server, bob);

        var put = await client.PutAsJsonAsync("/api/v1/sessions/a/vcard", new PutVCardRequest
        {
            FullName = "Alice Example", Nickname = "al", Emails = ["alice@example.com"], Urls = ["https://example.com/"], Note = "hé <&>",
        }, GatewayApiFactory.Json, Token);
        Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);

        var seenByBob = await b.GetVCardAsync(Jid.Parse(alice.Bare), Token);
        Assert.Equal(("Alice Example", "al", "hé <&>"), (seenByBob.FullName, seenByBob.Nickname, seenByBob.Note));
        Assert.Equal(["alice@example.com"], seenByBob.Emails);
        var own = await (await client.GetAsync("/api/v1/sessions/a/vcard", Token)).ReadAsync<VCardDto>(200);
        Assert.Equal((alice.Bare, "Alice Example", "https://example.com/"), (own.Jid, own.FullName, Assert.Single(own.Urls)));

        await b.SetVCardAsync(VCardTemp.ToElement(new VCardInfo { FullName = "Bob Builder", Organization = "Example" }), Token);
        var bobs = await (await client.GetAsync($"/api/v1/sessions/a/vcard?jid={bob.Bare}", Token)).ReadAsync<VCardDto>(200);
        Assert.Equal((bob.Bare, "Bob Builder", "Example"), (bobs.Jid, bobs.FullName, bobs.Organization));

        // The raw escape hatch keeps what the fields do not model.
        var raw = await client.PutAsJsonAsync("/api/v1/sessions/a/vcard", new PutVCardRequest { Xml = "<vCard xmlns='vcard-temp'><FN>Raw</FN><ADR><LOCALITY>Paris</LOCALITY></ADR></vCard>" }, GatewayApiFactory.Json, Token);
        Assert.Equal(HttpStatusCode.NoContent, raw.StatusCode);
        var rawCard = await (await client.GetAsync("/api/v1/sessions/a/vcard", Token)).ReadAsync<VCardDto>(200);
        Assert.Equal("Raw", rawCard.FullName);
        Assert.Equal("Paris", XElement.Parse(rawCard.Xml).Descendants(XName.Get("LOCALITY", "vcard-temp")).Single().Value);

        await (await client.PutAsJsonAsync("/api/v1/sessions/a/vcard", new PutVCardRequest { Xml = "<vCard xmlns='vcard-temp'/>", FullName = "x" }, GatewayApiFactory.Json, Token)).ProblemAsync(400, "validation-failed");
        await (await client.PutAsJsonAsync("/api/v1/sessions/a/vcard", new PutVCardRequest { Xml = "<query xmlns='jabber:iq:version'/>" }, GatewayApiFactory.Json, Token)).ProblemAsync(400, "validation-failed");
        await (await client.GetAsync("/api/v1/sessions/a/vcard?jid=@bad", Token)).ProblemAsync(400, "validation-failed");
        app.Logs.AssertNoErrors();
    }

    private static byte[] Png(int width, int height, int padding = 100)
    {
        byte[] header = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R', 0, 0, (byte)(width >> 8), (byte)width, 0, 0, (byte)(height >> 8), (byte)height, 8, 6, 0, 0, 0];
        var random = new byte[padding];
        Random.Shared.NextBytes(random);
        return [.. header, .. random];
    }

    private static ByteArrayContent Image(byte[] bytes, string type)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(type);
        return content;
    }

    [Fact]
    [Trait("Spec", "XEP-0084 §4")]
    public async Task Avatar_SetThenFetchedByContact_AndContactsFetchedThroughGateway()
    {
        var (app, client, alice) = await StartAsync();
        await using var _app = app;
        using var _client = client;
        var bob = await Server.CreateAccountAsync("bob", Token);
        await using var b = await TestClients.ConnectOnlineAsync(Server, bob);
        await MakeContactsAsync(app, client, "a", b);
        var png = Png(64, 32);

        var set = await (await client.PutAsync("/api/v1/sessions/a/avatar", Image(png, "image/png"), Token)).ReadAsync<AvatarDto>(200);

        Assert.Equal((UserAvatar.Sha1Hex(png), "image/png", png.Length, 64, 32), (set.Id, set.Type, set.Bytes, set.Width, set.Height));
        var info = await b.GetAvatarInfoAsync(Jid.Parse(alice.Bare), Token);
        Assert.Equal(set.Id, info!.Id);
        Assert.Equal(png, (await b.GetAvatarDataAsync(Jid.Parse(alice.Bare), info.Id, Token))!.Value.ToArray());

        var own = await client.GetAsync("/api/v1/sessions/a/avatar", Token);
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal("image/png", own.Content.Headers.ContentType?.MediaType);
        Assert.Equal($"\"{set.Id}\"", own.Headers.ETag?.Tag);
        Assert.Equal(png, await own.Content.ReadAsByteArrayAsync(Token));
        using var conditional = new HttpRequestMessage(HttpMethod.Get, "/api/v1/sessions/a/avatar");
        conditional.Headers.IfNoneMatch.Add(new EntityTagHeaderValue($"\"{set.Id}\""));
        Assert.Equal(HttpStatusCode.NotModified, (await client.SendAsync(conditional, Token)).StatusCode);

        byte[] jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 16, .. new byte[14], 0xFF, 0xC0, 0, 17, 8, 0, 48, 0, 80, 3, .. new byte[9], 0xFF, 0xD9];
        await b.PublishAvatarAsync(jpeg, Token);
        var bobs = await client.GetAsync($"/api/v1/sessions/a/avatar?jid={bob.Bare}", Token);
        Assert.Equal("image/jpeg", bobs.Content.Headers.ContentType?.MediaType);
        Assert.Equal(jpeg, await bobs.Content.ReadAsByteArrayAsync(Token));
        var metadata = await (await client.GetAsync($"/api/v1/sessions/a/avatar/metadata?jid={bob.Bare}", Token)).ReadAsync<AvatarDto>(200);
        Assert.Equal((bob.Bare, "image/jpeg", 80, 48), (metadata.Jid, metadata.Type, metadata.Width, metadata.Height));

        await (await client.PutAsync("/api/v1/sessions/a/avatar", Image(png, "image/gif"), Token)).ProblemAsync(415, "unsupported-media-type");
        await (await client.PutAsync("/api/v1/sessions/a/avatar", Image(jpeg, "image/png"), Token)).ProblemAsync(400, "validation-failed");
        await (await client.PutAsync("/api/v1/sessions/a/avatar", Image(Png(8, 8, UserAvatar.MaxBytes), "image/png"), Token)).ProblemAsync(413, "payload-too-large");
        app.Logs.AssertNoErrors();
    }

    [Fact]
    [Trait("Spec", "XEP-0363")]
    public async Task Upload_FileLandsAndOtherAccountGetsTheOobLink()
    {
        var (app, client, alice) = await StartAsync();
        await using var _app = app;
        using var _client = client;
        var bob = await Server.CreateAccountAsync("bob", Token);
        await using var b = await TestClients.ConnectOnlineAsync(Server, bob);
        var bytes = new byte[50_000];
        Random.Shared.NextBytes(bytes);

        var response = await client.PostAsync("/api/v1/sessions/a/uploads", Form(bytes, "quarterly report.bin", bob.Bare, "Quarterly"), Token);

        var result = await response.ReadAsync<UploadResultDto>(201);
        Assert.Equal(("quarterly report.bin", bytes.Length, "application/octet-stream"), (result.FileName, result.Size, result.ContentType));
        Assert.Equal($"/api/v1/sessions/a/messages/{result.MessageId}", response.Headers.Location?.OriginalString);
        using (var download = Loopback())
        {
            Assert.Equal(bytes, await download.GetByteArrayAsync(new Uri(result.Url), Token));
        }

        var received = await b.ReceiveAsync<Message>(m => m.Id == result.MessageId);
        Assert.Equal($"{alice.Bare}/gateway", received.From?.ToString());
        Assert.Equal(result.Url, received.Body);
        var oob = received.FindPayload(XName.Get("x", "jabber:x:oob"));
        Assert.Equal((result.Url, "Quarterly"), (oob?.Element(XName.Get("url", "jabber:x:oob"))?.Value, oob?.Element(XName.Get("desc", "jabber:x:oob"))?.Value));

        var tooLarge = await client.PostAsync("/api/v1/sessions/a/uploads", Form(new byte[AccountProsodyFixture.UploadLimit + 1], "big.bin", bob.Bare, null), Token);
        await tooLarge.ProblemAsync(413, "payload-too-large");
        await (await client.PostAsync("/api/v1/sessions/a/uploads", Form(bytes, "x.bin", "@bad", null), Token)).ProblemAsync(400, "validation-failed");
        await (await client.PostJsonAsync("/api/v1/sessions/a/uploads", new { to = bob.Bare })).ProblemAsync(415, "unsupported-media-type");
        app.Logs.AssertNoErrors();
    }

    [Fact]
    [Trait("Spec", "XEP-0030")]
    public async Task Server_ListsMamCarbonsBlockingUploadAndRooms()
    {
        var (app, client, alice) = await StartAsync();
        await using var _app = app;
        using var _client = client;

        var capabilities = await (await client.GetAsync("/api/v1/sessions/a/server", Token)).ReadAsync<ServerCapabilitiesDto>(200);

        Assert.Equal(Server.Domain, capabilities.Server.Jid);
        Assert.Contains(capabilities.Server.Identities, i => i.Category == "server" && i.Type == "im");
        Assert.Contains("urn:xmpp:carbons:2", capabilities.Server.Features);
        Assert.Contains("urn:xmpp:blocking", capabilities.Server.Features);
        Assert.Contains("urn:xmpp:mam:2", capabilities.Account!.Features);
        Assert.Equal(alice.Bare, capabilities.Account.Jid);
        var upload = Assert.Single(capabilities.Services, s => s.Jid == "upload." + Server.Domain);
        Assert.Contains("urn:xmpp:http:upload:0", upload.Info!.Features);
        Assert.Equal(("upload." + Server.Domain, AccountProsodyFixture.UploadLimit), (capabilities.Upload!.Jid, capabilities.Upload.MaxFileSize));
        Assert.Contains(capabilities.Services, s => s.Jid == Server.MucDomain && s.Info!.Features.Contains("http://jabber.org/protocol/muc"));
        app.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task ServerWithoutTheFeatures_Refused409()
    {
        await using var bare = await ProsodyServer.StartAsync(new ProsodyServerOptions { DisabledModules = ["blocklist", "vcard"] }, Token);
        var alice = await bare.CreateAccountAsync("alice", Token);
        await using var app = new GatewayApiFactory(bare);
        using var client = app.CreateAlphaClient();
        await client.CreateSessionAsync(bare, alice, "a");

        await (await client.GetAsync("/api/v1/sessions/a/blocklist", Token)).ProblemAsync(409, "feature-not-supported");
        await (await client.PutAsync("/api/v1/sessions/a/blocklist/bob@localhost", null, Token)).ProblemAsync(409, "feature-not-supported");
        await (await client.GetAsync("/api/v1/sessions/a/vcard", Token)).ProblemAsync(409, "feature-not-supported");
        await (await client.PostAsync("/api/v1/sessions/a/uploads", Form([1, 2, 3], "a.bin", "bob@localhost", null), Token)).ProblemAsync(409, "feature-not-supported");
        var capabilities = await (await client.GetAsync("/api/v1/sessions/a/server", Token)).ReadAsync<ServerCapabilitiesDto>(200);
        Assert.Null(capabilities.Upload);
        Assert.DoesNotContain("urn:xmpp:blocking", capabilities.Server.Features);
    }

    public static TheoryData<string, string> Routes => new()
    {
        { "GET", "presence" },
        { "GET", "blocklist" },
        { "PUT", "blocklist/bob@localhost" },
        { "DELETE", "blocklist/bob@localhost" },
        { "DELETE", "blocklist" },
        { "GET", "vcard" },
        { "PUT", "vcard" },
        { "GET", "avatar" },
        { "GET", "avatar/metadata" },
        { "PUT", "avatar" },
        { "POST", "uploads" },
        { "GET", "server" },
    };

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task UnknownSession_404_AndMissingScope_403(string method, string path)
    {
        await using var app = new GatewayApiFactory(Server);
        ApiKeyScopeTests.AddScopedKeys(app);
        using var full = app.CreateAlphaClient();
        using var readOnly = app.CreateClient(ApiKeyScopeTests.ReadKey);

        var unknown = await full.SendAsync(Request(method, $"/api/v1/sessions/nope/{path}"), Token);
        await unknown.ProblemAsync(404, "session-not-found");

        if (method != "GET")
        {
            var forbidden = await readOnly.SendAsync(Request(method, $"/api/v1/sessions/nope/{path}"), Token);
            var problem = await forbidden.ProblemAsync(403, "forbidden");
            Assert.Contains("'send'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        // Another tenant's session is not found either.
        var alice = await Server.CreateAccountAsync("alice", Token);
        using var beta = app.CreateBetaClient();
        await beta.CreateSessionAsync(Server, alice, "theirs");
        await (await full.SendAsync(Request(method, $"/api/v1/sessions/theirs/{path}"), Token)).ProblemAsync(404, "session-not-found");
    }

    private static HttpRequestMessage Request(string method, string url) => new(new HttpMethod(method), url)
    {
        Content = url.EndsWith("/uploads", StringComparison.Ordinal) ? Form([1], "a.bin", "bob@localhost", null)
            : url.EndsWith("/avatar", StringComparison.Ordinal) && method == "PUT" ? Image(Png(1, 1), "image/png")
            : url.EndsWith("/vcard", StringComparison.Ordinal) && method == "PUT" ? new StringContent("""{"fullName":"x"}""", System.Text.Encoding.UTF8, "application/json")
            : null,
    };

    private static MultipartFormDataContent Form(byte[] bytes, string fileName, string to, string? desc)
    {
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var form = new MultipartFormDataContent { { file, "file", fileName }, { new StringContent(to), "to" } };
        if (desc is not null)
        {
            form.Add(new StringContent(desc), "desc");
        }

        return form;
    }

    /// <summary>An HTTP client that reaches any host name on loopback (the slot URLs name upload.localhost).</summary>
    private static HttpClient Loopback() => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, token) =>
        {
            var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, context.DnsEndPoint.Port), token);
            return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
        },
    });
}
