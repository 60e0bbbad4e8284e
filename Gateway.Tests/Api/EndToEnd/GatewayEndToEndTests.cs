using System.Net;
using System.Net.Http.Json;
using System.Xml.Linq;
using Gateway.Api.Contracts;
using Gateway.Tests.Integration.Client;
using Gateway.Tests.Integration.Prosody;
using Gateway.Tests.Support;
using Gateway.Xmpp;

namespace Gateway.Tests.Api.EndToEnd;

/// <summary>The REST API against the real pool and a real Prosody, with a library client on the other end.</summary>
[Trait("Tier", "Integration")]
public sealed class GatewayEndToEndTests(ProsodyFixture prosody)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private ProsodyServer Server => prosody.Server;

    private CreateSessionRequest SessionFor(TestAccount account, string? id = null, string? password = null) => new()
    {
        Id = id,
        Jid = account.Bare,
        Password = password ?? account.Password,
        Resource = "gateway",
        Host = Server.Host,
        Port = Server.C2sPort,
    };

    private async Task<SessionDto> CreateSessionAsync(HttpClient client, TestAccount account, string id)
    {
        var response = await client.PostJsonAsync("/api/v1/sessions", SessionFor(account, id));
        return await response.ReadAsync<SessionDto>(201);
    }

    [Fact]
    public async Task CreateSession_ThenGetListDelete_FollowsTheSessionsLifecycle()
    {
        var alice = await prosody.CreateAccountAsync("alice", Token);
        await using var app = new GatewayApiFactory(Server);
        using var client = app.CreateAlphaClient();

        var created = await client.PostJsonAsync("/api/v1/sessions", SessionFor(alice, "alice-1"));

        var session = await created.ReadAsync<SessionDto>(201);
        Assert.Equal("/api/v1/sessions/alice-1", created.Headers.Location?.OriginalString);
        Assert.Equal(("alice-1", alice.Bare, "online"), (session.Id, session.Jid, session.State));
        Assert.Equal($"{alice.Bare}/gateway", session.BoundJid);
        Assert.DoesNotContain(alice.Password, await created.Content.ReadAsStringAsync(Token), StringComparison.Ordinal);

        var fetched = await (await client.GetAsync("/api/v1/sessions/alice-1", Token)).ReadAsync<SessionDto>(200);
        Assert.Equal("online", fetched.State);
        var listed = await (await client.GetAsync("/api/v1/sessions", Token)).ReadAsync<SessionDto[]>(200);
        Assert.Contains(listed, s => s.Id == "alice-1");

        var duplicate = await client.PostJsonAsync("/api/v1/sessions", SessionFor(alice, "alice-1"));
        await duplicate.ProblemAsync(409, "session-exists");

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/api/v1/sessions/alice-1", Token)).StatusCode);
        await (await client.GetAsync("/api/v1/sessions/alice-1", Token)).ProblemAsync(404, "session-not-found");
        await (await client.DeleteAsync("/api/v1/sessions/alice-1", Token)).ProblemAsync(404, "session-not-found");
        app.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task UpdateSession_PasswordChangedOnTheServer_FailedSessionBackOnlineThroughPatchAndSends()
    {
        var (alice, bob) = (await prosody.CreateAccountAsync("alice", Token), await prosody.CreateAccountAsync("bob", Token));
        await using var app = new GatewayApiFactory(Server);
        using var client = app.CreateAlphaClient();
        await using var receiver = await TestClients.ConnectOnlineAsync(Server, bob);
        await CreateSessionAsync(client, alice, "a");
        var changed = await Server.SetPasswordAsync(alice, Token);
        var pool = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Gateway.Xmpp.Pool.ISessionPool>(app.Services);
        pool.Find(GatewayApiFactory.AlphaTenant, "a")!.AbortConnection();
        await Eventually.WaitUntilAsync(() => pool.Find(GatewayApiFactory.AlphaTenant, "a")!.Info.State == Gateway.Xmpp.Pool.SessionState.Failed);

        var wrong = await client.PatchAsync("/api/v1/sessions/a", JsonContent.Create(new UpdateSessionRequest { Password = alice.Password }, options: GatewayApiFactory.Json), Token);
        var patched = await client.PatchAsync("/api/v1/sessions/a", JsonContent.Create(new UpdateSessionRequest { Password = changed.Password, RequestReceipts = false }, options: GatewayApiFactory.Json), Token);

        var refused = await wrong.ProblemAsync(422, "xmpp-auth-failed");
        Assert.Equal("not-authorized", refused.GetProperty("xmppCondition").GetString());
        var session = await patched.ReadAsync<SessionDto>(200);
        Assert.Equal("online", session.State);
        Assert.False(session.Settings.RequestReceipts);
        Assert.DoesNotContain(changed.Password, await patched.Content.ReadAsStringAsync(Token), StringComparison.Ordinal);
        var sent = await (await client.PostJsonAsync("/api/v1/sessions/a/messages?wait=server", new PostMessageRequest { To = bob.Bare, Body = "with the new password" })).ReadAsync<StanzaAcceptedDto>(202);
        Assert.Equal("with the new password", (await receiver.ReceiveAsync<Message>(m => m.Id == sent.Id)).Body);
        Assert.DoesNotContain(app.Logs.Entries, e => e.AllText.Contains(changed.Password, StringComparison.Ordinal));
    }

    [Fact]
    public async Task CreateSession_WrongPassword_Returns422WithXmppCondition()
    {
        var alice = await prosody.CreateAccountAsync("alice", Token);
        await using var app = new GatewayApiFactory(Server);
        using var client = app.CreateAlphaClient();

        var response = await client.PostJsonAsync("/api/v1/sessions", SessionFor(alice, "wrong", password: "not-the-password"));

        var problem = await response.ProblemAsync(422, "xmpp-auth-failed");
        Assert.Equal("not-authorized", problem.GetProperty("xmppCondition").GetString());
        await (await client.GetAsync("/api/v1/sessions/wrong", Token)).ProblemAsync(404, "session-not-found");
    }

    [Fact]
    public async Task CreateSession_UnreachablePort_Returns502ConnectionFailed()
    {
        var alice = await prosody.CreateAccountAsync("alice", Token);
        await using var app = new GatewayApiFactory(Server);
        using var client = app.CreateAlphaClient();
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var closedPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var response = await client.PostJsonAsync("/api/v1/sessions", SessionFor(alice) with { Port = closedPort });

        await response.ProblemAsync(502, "xmpp-connection-failed");
    }

    [Fact]
    public async Task CreateSession_CertificateNotTrusted_Returns502TlsFailed()
    {
        var alice = await prosody.CreateAccountAsync("alice", Token);
        await using var app = new GatewayApiFactory(Server) { TrustProsodyCertificate = false };
        using var client = app.CreateAlphaClient();

        var response = await client.PostJsonAsync("/api/v1/sessions", SessionFor(alice));

        await response.ProblemAsync(502, "xmpp-tls-failed");
    }

    [Fact]
    [Trait("Spec", "RFC 6121 §5")]
    public async Task SendMessage_WithPayloads_ArrivesAtOtherClientIntact()
    {
        var (alice, bob) = (await prosody.CreateAccountAsync("alice", Token), await prosody.CreateAccountAsync("bob", Token));
        await using var app = new GatewayApiFactory(Server);
        using var client = app.CreateAlphaClient();
        await CreateSessionAsync(client, alice, "a");
        await using var b = await TestClients.ConnectOnlineAsync(Server, bob);
        var order = "<order xmlns='urn:example:shop' id='42'><item sku='x-1' qty='2'>Tea &amp; biscuits</item><p:note xmlns:p='urn:example:notes'>fragile</p:note></order>";

        var response = await client.PostJsonAsync("/api/v1/sessions/a/messages", new PostMessageRequest
        {
            To = b.Jid.ToString(), Body = "héllo 😀 <&>", Subject = "greeting", Thread = "t-1", Id = "m-1",
            Payloads = [order, "<active xmlns='http://jabber.org/protocol/chatstates'/>"],
        });

        var accepted = await response.ReadAsync<StanzaAcceptedDto>(202);
        Assert.Equal("m-1", accepted.Id);
        var received = await b.ReceiveAsync<Message>(m => m.Id == "m-1");
        Assert.Equal($"{alice.Bare}/gateway", received.From?.ToString());
        Assert.Equal(MessageType.Chat, received.Type);
        Assert.Equal(("héllo 😀 <&>", "greeting", "t-1"), (received.Body, received.Subject, received.Thread));
        XmlAssert.Equivalent(XElement.Parse(order), Assert.Single(received.Payload, p => p.Name.Namespace == "urn:example:shop"));
        Assert.Single(received.Payload, p => p.Name == XName.Get("active", "http://jabber.org/protocol/chatstates"));
        app.Logs.AssertNoErrors();
    }

    [Fact]
    [Trait("Spec", "XEP-0198 §4")]
    public async Task SendMessage_WaitServer_ReturnsAckedByServer()
    {
        var (alice, bob) = (await prosody.CreateAccountAsync("alice", Token), await prosody.CreateAccountAsync("bob", Token));
        await using var app = new GatewayApiFactory(Server);
        using var client = app.CreateAlphaClient();
        var session = await CreateSessionAsync(client, alice, "a");
        Assert.True(session.StreamManagement);

        var response = await client.PostJsonAsync("/api/v1/sessions/a/messages?wait=server", new PostMessageRequest { To = bob.Bare, Body = "acked?" });

        var accepted = await response.ReadAsync<StanzaAcceptedDto>(202);
        Assert.True(accepted.AckedByServer);
    }

    [Fact]
    [Trait("Spec", "XEP-0092")]
    public async Task SendIq_SoftwareVersionOfOtherClient_ReturnsItsAnswer()
    {
        var (alice, bob) = (await prosody.CreateAccountAsync("alice", Token), await prosody.CreateAccountAsync("bob", Token));
        await using var app = new GatewayApiFactory(Server);
        using var client = app.CreateAlphaClient();
        await CreateSessionAsync(client, alice, "a");
        var softwareName = $"Bob's Client {Guid.NewGuid():N}";
        await using var b = await XmppClient.ConnectAsync(TestClients.Options(Server, bob) with { SoftwareName = softwareName, SoftwareVersion = "9.8.7", RespondTo = RespondTo.Anyone }, cancellationToken: Token);

        var response = await client.PostJsonAsync("/api/v1/sessions/a/iq", new PostIqRequest { Type = "get", To = b.Jid.ToString(), Payload = "<query xmlns='jabber:iq:version'/>", TimeoutSeconds = 10 });

        var reply = await response.ReadAsync<IqDto>(200);
        Assert.Equal("result", reply.Type);
        Assert.Equal(b.Jid.ToString(), reply.From);
        var query = XElement.Parse(reply.Payload!);
        XNamespace version = "jabber:iq:version";
        Assert.Equal(softwareName, query.Element(version + "name")?.Value);
        Assert.Equal("9.8.7", query.Element(version + "version")?.Value);
    }

    [Fact]
    [Trait("Spec", "RFC 6120 §8.3.3.19")]
    public async Task SendIq_ToOfflineResource_MapsStanzaErrorToStatus()
    {
        var (alice, bob) = (await prosody.CreateAccountAsync("alice", Token), await prosody.CreateAccountAsync("bob", Token));
        await using var app = new GatewayApiFactory(Server);
        using var client = app.CreateAlphaClient();
        await CreateSessionAsync(client, alice, "a");

        var response = await client.PostJsonAsync("/api/v1/sessions/a/iq", new PostIqRequest { Type = "get", To = $"{bob.Bare}/nowhere", Payload = "<query xmlns='jabber:iq:version'/>" });

        var problem = await response.ProblemAsync(503, "xmpp-stanza-error");
        Assert.Equal("service-unavailable", problem.GetProperty("xmppCondition").GetString());
        Assert.Equal("cancel", problem.GetProperty("xmppErrorType").GetString());
        Assert.True(problem.TryGetProperty("xmppText", out _));
    }

    [Fact]
    [Trait("Spec", "RFC 6120 §8.2.3")]
    public async Task AnswerIq_RequestFromOtherClient_ReachesIt()
    {
        var (alice, bob) = (await prosody.CreateAccountAsync("alice", Token), await prosody.CreateAccountAsync("bob", Token));
        await using var app = new GatewayApiFactory(Server);
        using var client = app.CreateAlphaClient();
        var session = await CreateSessionAsync(client, alice, "a");
        await using var b = await TestClients.ConnectAsync(Server, bob);
        var request = new Iq { Type = IqType.Get, Id = $"custom-{Guid.NewGuid():N}", To = Jid.Parse(session.BoundJid!), Payload = [new XElement(XName.Get("question", "urn:example:custom"))] };
        var reply = b.SendIqAsync(request, TimeSpan.FromSeconds(15), Token);
        var answer = new PostIqRequest { Type = "result", Id = request.Id, To = b.Jid.ToString(), Payload = "<answer xmlns='urn:example:custom'>42</answer>" };

        // The request reaches the gateway a moment after bob sent it: answer until it is waiting (404 before).
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        HttpResponseMessage answered;
        do
        {
            answered = await client.PostJsonAsync("/api/v1/sessions/a/iq", answer);
        }
        while (answered.StatusCode == HttpStatusCode.NotFound && !reply.IsCompleted && await timer.WaitForNextTickAsync(Token));

        Assert.Equal(HttpStatusCode.NoContent, answered.StatusCode);
        var result = await reply;
        Assert.Equal(IqType.Result, result.Type);
        Assert.Equal("42", result.Query?.Value);
        await (await client.PostJsonAsync("/api/v1/sessions/a/iq", answer)).ProblemAsync(404, "iq-request-not-found");
    }

    [Fact]
    [Trait("Spec", "RFC 6121 §2")]
    public async Task Roster_AddGetRemove_RoundTripsThroughTheServer()
    {
        var (alice, carol) = (await prosody.CreateAccountAsync("alice", Token), await prosody.CreateAccountAsync("carol", Token));
        await using var app = new GatewayApiFactory(Server);
        using var client = app.CreateAlphaClient();
        await CreateSessionAsync(client, alice, "a");

        var put = await client.PutAsJsonAsync($"/api/v1/sessions/a/roster/{carol.Bare}", new PutRosterItemRequest { Name = "Carol", Groups = ["Friends", "Work"] }, GatewayApiFactory.Json, Token);
        Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);

        var roster = await (await client.GetAsync("/api/v1/sessions/a/roster", Token)).ReadAsync<RosterDto>(200);
        var item = Assert.Single(roster.Items, i => i.Jid == carol.Bare);
        Assert.Equal("Carol", item.Name);
        Assert.Equal(["Friends", "Work"], item.Groups.Order(StringComparer.Ordinal));
        Assert.Equal("none", item.Subscription);

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/v1/sessions/a/roster/{carol.Bare}", Token)).StatusCode);
        var after = await (await client.GetAsync("/api/v1/sessions/a/roster", Token)).ReadAsync<RosterDto>(200);
        Assert.DoesNotContain(after.Items, i => i.Jid == carol.Bare);

        var again = await client.DeleteAsync($"/api/v1/sessions/a/roster/{carol.Bare}", Token);
        var problem = await again.ProblemAsync(404, "xmpp-stanza-error");
        Assert.Equal("item-not-found", problem.GetProperty("xmppCondition").GetString());
    }

    [Fact]
    public async Task SendRawStanza_Message_ArrivesAndStreamElementIsRefused()
    {
        var (alice, bob) = (await prosody.CreateAccountAsync("alice", Token), await prosody.CreateAccountAsync("bob", Token));
        await using var app = new GatewayApiFactory(Server);
        using var client = app.CreateAlphaClient();
        await CreateSessionAsync(client, alice, "a");
        await using var b = await TestClients.ConnectOnlineAsync(Server, bob);

        var sent = await client.PostRawAsync("/api/v1/sessions/a/stanzas",
            $"<message to='{b.Jid}' id='raw-1' type='chat' from='admin@{Server.Domain}'><body>raw hello</body><x xmlns='urn:example:raw'>data</x></message>",
            "application/xmpp+xml");

        var accepted = await sent.ReadAsync<StanzaAcceptedDto>(202);
        Assert.Equal("raw-1", accepted.Id);
        var received = await b.ReceiveAsync<Message>(m => m.Id == "raw-1");
        Assert.Equal("raw hello", received.Body);
        Assert.Equal($"{alice.Bare}/gateway", received.From?.ToString());
        Assert.Equal("data", Assert.Single(received.Payload, p => p.Name.NamespaceName == "urn:example:raw").Value);

        var stream = await client.PostRawAsync("/api/v1/sessions/a/stanzas",
            $"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='{Server.Domain}' version='1.0'></stream:stream>",
            "application/xmpp+xml");
        var problem = await stream.ProblemAsync(400, "validation-failed");
        Assert.Contains("stream-level", problem.GetProperty("errors").GetProperty("stanza")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendRawStanza_IqGet_ReturnsTheReply()
    {
        var alice = await prosody.CreateAccountAsync("alice", Token);
        await using var app = new GatewayApiFactory(Server);
        using var client = app.CreateAlphaClient();
        await CreateSessionAsync(client, alice, "a");

        var response = await client.PostRawAsync("/api/v1/sessions/a/stanzas", "<iq type='get' id='ping-1'><ping xmlns='urn:xmpp:ping'/></iq>", "application/xmpp+xml");

        var reply = await response.ReadAsync<IqDto>(200);
        Assert.Equal(("result", "ping-1"), (reply.Type, reply.Id));
    }

    [Fact]
    public async Task InvalidInput_OnRealSession_Returns400NamingTheField()
    {
        var alice = await prosody.CreateAccountAsync("alice", Token);
        await using var app = new GatewayApiFactory(Server);
        using var client = app.CreateAlphaClient();
        await CreateSessionAsync(client, alice, "a");

        var badJid = await (await client.PostJsonAsync("/api/v1/sessions/a/messages", new PostMessageRequest { To = "bob@@example.com", Body = "x" })).ProblemAsync(400, "validation-failed");
        var malformed = await (await client.PostJsonAsync("/api/v1/sessions/a/messages", new PostMessageRequest { To = "bob@example.com", Payloads = ["<order xmlns='urn:example:shop'><item></order>"] })).ProblemAsync(400, "validation-failed");
        var dtd = await (await client.PostJsonAsync("/api/v1/sessions/a/messages", new PostMessageRequest
        {
            To = "bob@example.com",
            Payloads = ["<!DOCTYPE x [<!ENTITY xxe SYSTEM 'file:///etc/passwd'>]><x xmlns='urn:example:x'>&xxe;</x>"],
        })).ProblemAsync(400, "validation-failed");

        Assert.True(badJid.GetProperty("errors").TryGetProperty("to", out _));
        Assert.Contains("well-formed", malformed.GetProperty("errors").GetProperty("payloads[0]")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("DTD", dtd.GetProperty("errors").GetProperty("payloads[0]")[0].GetString(), StringComparison.Ordinal);
        var session = await (await client.GetAsync("/api/v1/sessions/a", Token)).ReadAsync<SessionDto>(200);
        Assert.Equal("online", session.State);
        app.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task Access_WithoutKeyOrFromOtherTenant_IsRefusedLikeUnknown()
    {
        var alice = await prosody.CreateAccountAsync("alice", Token);
        await using var app = new GatewayApiFactory(Server);
        using var alphaClient = app.CreateAlphaClient();
        using var betaClient = app.CreateBetaClient();
        using var anonymous = app.CreateClient(apiKey: null);
        await CreateSessionAsync(alphaClient, alice, "a");

        await (await anonymous.GetAsync("/api/v1/sessions/a", Token)).ProblemAsync(401, "unauthorized");
        await (await betaClient.GetAsync("/api/v1/sessions/a", Token)).ProblemAsync(404, "session-not-found");
        await (await betaClient.PostJsonAsync("/api/v1/sessions/a/messages", new PostMessageRequest { To = "bob@example.com", Body = "x" })).ProblemAsync(404, "session-not-found");
        await (await betaClient.DeleteAsync("/api/v1/sessions/a", Token)).ProblemAsync(404, "session-not-found");
        Assert.Empty(await (await betaClient.GetAsync("/api/v1/sessions", Token)).ReadAsync<SessionDto[]>(200));
        await (await alphaClient.GetAsync("/api/v1/sessions/nope", Token)).ProblemAsync(404, "session-not-found");

        // Beta may use the same id for its own session.
        var bob = await prosody.CreateAccountAsync("bob", Token);
        await CreateSessionAsync(betaClient, bob, "a");
        var alphaView = await (await alphaClient.GetAsync("/api/v1/sessions/a", Token)).ReadAsync<SessionDto>(200);
        Assert.Equal(alice.Bare, alphaView.Jid);
    }
}
