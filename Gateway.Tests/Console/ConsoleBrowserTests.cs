using System.Text.RegularExpressions;
using System.Xml.Linq;
using Gateway.Api.Contracts;
using System.Net.Http.Json;
using Gateway.Tests.Api;
using Gateway.Tests.Api.EndToEnd;
using Gateway.Tests.Api.Webhooks;
using Gateway.Tests.Integration.Client;
using Gateway.Tests.Integration.Prosody;
using Gateway.Xmpp;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gateway.Tests.Console;

/// <summary>
/// The console at <c>/</c> (Gateway.Api/wwwroot) in a real headless Chromium, used as a new user would: the gateway on a
/// real Kestrel port, sessions on the shared Prosody, the peer a plain XMPP client. Every page console error or warning
/// fails the test (a hub event without a handler shows up as one).
/// </summary>
[Trait("Tier", "Integration")]
[Trait("Browser", "Chromium")]
public sealed class ConsoleBrowserTests(ProsodyFixture prosody, BrowserFixture browser) : IClassFixture<BrowserFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private readonly GatewayApiFactory _app = new GatewayApiFactory(prosody.Server).UseRealSocket();
    private GatewayApiFactory? _gateway;
    private readonly List<string> _consoleProblems = [];
    private readonly List<IAsyncDisposable> _disposables = [];
    private IBrowserContext? _context;

    public ValueTask InitializeAsync()
    {
        SetDefaultExpectTimeout((float)Patience.TotalMilliseconds);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        if (_context is not null)
        {
            await _context.DisposeAsync();
        }

        for (var i = _disposables.Count - 1; i >= 0; i--)
        {
            await _disposables[i].DisposeAsync();
        }

        await _app.DisposeAsync();
        _app.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task NewUser_CreatesSessionAndChats_OwnMessagesTicksRepliesReplayFailuresAndLiveState()
    {
        var alice = await prosody.CreateAccountAsync("alice", Token);
        var bobAccount = await prosody.CreateAccountAsync("bob", Token);
        await using var bob = await TestClients.ConnectOnlineAsync(prosody.Server, bobAccount);
        var page = await OpenConsoleAsync();
        await EnterKeyAsync(page);
        await Expect(page.Locator("#webhooks-note")).ToHaveTextAsync("No webhooks registered.");

        // Create the session through the form, as the REST API has it (host and port of the test server).
        await page.GetByText("New session").ClickAsync();
        await page.Locator("#create-id").FillAsync("alice");
        await page.Locator("#create-jid").FillAsync(alice.Bare);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync(alice.Password);
        await page.GetByLabel("Server host").FillAsync(prosody.Server.Host);
        await page.GetByLabel("Server port").FillAsync(prosody.Server.C2sPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.GetByRole(AriaRole.Button, new() { Name = "Create session" }).ClickAsync();
        var pill = page.Locator("#session-list li[data-session=alice] .pill");
        await Expect(pill).ToHaveTextAsync("online");
        await Expect(page.Locator("#session-name")).ToHaveTextAsync("alice");

        await page.GetByLabel("Chat with").FillAsync(bobAccount.Bare);
        await page.Locator("#peer-form button").ClickAsync();
        await Expect(page.Locator("#conversation-title")).ToHaveTextAsync($"Conversation with {bobAccount.Bare}");

        // Only spaces: nothing to send, and Enter does not send it either.
        var body = page.GetByLabel("Message", new() { Exact = true });
        await body.FillAsync("   ");
        await Expect(page.Locator("#send")).ToBeDisabledAsync();
        await body.PressAsync("Enter");
        await Expect(page.Locator("#send-hint")).ToContainTextAsync("not only spaces");

        // Own message shown, ticks from the message status events.
        await body.FillAsync("hello bob");
        await page.Locator("#send").ClickAsync();
        var mine = page.Locator("#messages li.bubble.out");
        await Expect(mine).ToHaveCountAsync(1);
        await Expect(mine.Locator(".body")).ToHaveTextAsync("hello bob");
        await Expect(mine.Locator(".ticks")).ToHaveAttributeAsync("data-status", new Regex("^(acked|delivered)$"));
        var received = await bob.ReceiveAsync<Message>(m => m.Body == "hello bob");
        await Expect(mine).ToHaveAttributeAsync("data-id", received.Id!);

        // XEP-0184 receipt and XEP-0085 chat state: ticks move, no empty bubbles. Then a reply, live.
        var aliceJid = Jid.Parse(alice.Bare);
        await bob.SendAsync(new Message { To = aliceJid, Type = MessageType.Chat, Payload = [XElement.Parse($"<received xmlns='urn:xmpp:receipts' id='{received.Id}'/>")] }, Token);
        await bob.SendAsync(new Message { To = aliceJid, Type = MessageType.Chat, Payload = [XElement.Parse("<composing xmlns='http://jabber.org/protocol/chatstates'/>")] }, Token);
        await bob.SendAsync(new Message { To = aliceJid, Type = MessageType.Chat, Body = "hi alice" }, Token);
        await Expect(page.Locator("#messages li.bubble.in .body")).ToHaveTextAsync("hi alice");
        await Expect(mine.Locator(".ticks")).ToHaveAttributeAsync("data-status", "delivered");
        await Expect(page.Locator("#messages li")).ToHaveCountAsync(2);

        // Disconnect, the peer writes, Connect: SubscribeAfter replays what arrived meanwhile.
        await page.GetByRole(AriaRole.Button, new() { Name = "Disconnect" }).ClickAsync();
        await Expect(page.Locator("#hub-status")).ToHaveAttributeAsync("data-state", "disconnected");
        using var rest = _app.CreateAlphaClient();
        var before = await LastEventIdAsync(rest, "alice");
        await bob.SendAsync(new Message { To = aliceJid, Type = MessageType.Chat, Body = "while you were away" }, Token);
        await WaitForEventAfterAsync(rest, "alice", before);
        await Expect(page.Locator("#messages li.bubble.in .body")).ToHaveCountAsync(1);
        await page.GetByRole(AriaRole.Button, new() { Name = "Connect", Exact = true }).ClickAsync();
        await Expect(page.Locator("#hub-status")).ToHaveAttributeAsync("data-state", "connected");
        await Expect(page.Locator("#messages li.bubble.in .body")).ToHaveTextAsync(["hi alice", "while you were away"]);
        await Expect(page.Locator("#conversation-note")).ToHaveTextAsync(""); // nothing was missed, so no "missed events" note

        // A send the server bounces (RFC 6121 §8.5.2.2.1: no such user, service-unavailable) shows as failed, never sent.
        await page.GetByLabel("Chat with").FillAsync($"nobody{Guid.NewGuid():N}"[..14] + "@" + prosody.Server.Domain);
        await page.Locator("#peer-form button").ClickAsync();
        await body.FillAsync("into the void");
        await body.PressAsync("Enter");
        var lost = page.Locator("#messages li.bubble.out .ticks");
        await Expect(lost).ToHaveAttributeAsync("data-status", "failed");
        await Expect(lost).ToContainTextAsync("failed");
        await Expect(lost).Not.ToContainTextAsync("sent");

        // 390 px wide (a phone): nothing wider than the viewport.
        await page.SetViewportSizeAsync(390, 844);
        await page.GetByLabel("Chat with").FillAsync(bobAccount.Bare);
        await page.Locator("#peer-form button").ClickAsync();
        await Expect(page.Locator("#messages li.bubble")).ToHaveCountAsync(3);
        Assert.True(await page.EvaluateAsync<int>("document.documentElement.scrollWidth") <= 390, "horizontal overflow at 390 px");

        // The key lives in memory only.
        var stored = await page.EvaluateAsync<string>("JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage), document.cookie])");
        Assert.DoesNotContain(GatewayApiFactory.AlphaKey, stored, StringComparison.Ordinal);

        // The state pill follows OnSessionState: another login with the session's resource takes over the stream
        // (RFC 6120 §7.7.2.2, conflict), and the gateway does not fight back.
        var session = await (await rest.GetAsync(new Uri("/api/v1/sessions/alice", UriKind.Relative), Token)).ReadAsync<SessionDto>(200);
        await using var usurper = await TestClients.ConnectAsync(prosody.Server, alice, Jid.Parse(session.BoundJid!).Resource);
        await Expect(pill).Not.ToHaveTextAsync("online");
        await Expect(pill).ToHaveAttributeAsync("data-state", new Regex("^(failed|reconnecting)$"));

        AssertNoConsoleProblems("/api/v1/webhooks");
    }

    [Fact]
    public async Task OpenSession_Unknown_ErrorStaysVisibleAcrossReconnect_PageAndFilesCannotBeFramed()
    {
        var responses = new List<IResponse>();
        var page = await OpenConsoleAsync(responses.Add);
        await EnterKeyAsync(page);

        await page.GetByLabel("Open a session by id").FillAsync("no-such-session");
        await page.Locator("#open-form button").ClickAsync();
        var error = page.Locator("#session-error");
        await Expect(error).ToContainTextAsync("no-such-session");
        await Expect(error).ToContainTextAsync("session-not-found");

        // The live connection going and coming does not replace it.
        await page.GetByRole(AriaRole.Button, new() { Name = "Disconnect" }).ClickAsync();
        await Expect(page.Locator("#hub-status")).ToHaveAttributeAsync("data-state", "disconnected");
        await page.GetByRole(AriaRole.Button, new() { Name = "Connect", Exact = true }).ClickAsync();
        await Expect(page.Locator("#hub-status")).ToHaveAttributeAsync("data-state", "connected");
        await Expect(error).ToContainTextAsync("session-not-found");

        // The page and its static files carry the headers that forbid framing and inline code.
        foreach (var file in new[] { "/", "/app.js", "/app.css", "/lib/signalr/signalr.min.js" })
        {
            var response = responses.Single(r => new Uri(r.Url).AbsolutePath == file);
            var headers = await response.AllHeadersAsync();
            Assert.Equal("DENY", headers["x-frame-options"]);
            Assert.Contains("frame-ancestors 'none'", headers["content-security-policy"], StringComparison.Ordinal);
            Assert.Contains("script-src 'self'", headers["content-security-policy"], StringComparison.Ordinal);
            Assert.Equal("nosniff", headers["x-content-type-options"]);
        }

        AssertNoConsoleProblems("/api/v1/webhooks", "/api/v1/sessions/no-such-session");
    }

    [Fact]
    [Trait("Spec", "XEP-0045")]
    public async Task ExistingSession_RosterWithPresence_RoomJoinSendAndReceive_Delete()
    {
        var carol = await prosody.CreateAccountAsync("carol", Token);
        var dave = await prosody.CreateAccountAsync("dave", Token);
        await Gateway.Tests.Api.Hubs.HubTestKit.CreateSessionAsync(_app, prosody.Server, carol, "carol");
        using var rest = _app.CreateAlphaClient();
        var put = await rest.PutAsJsonAsync(new Uri($"/api/v1/sessions/carol/roster/{dave.Bare}", UriKind.Relative), new PutRosterItemRequest { Name = "Dave" }, GatewayApiFactory.Json, Token);
        Assert.True(put.IsSuccessStatusCode, $"roster PUT: {(int)put.StatusCode}");
        var page = await OpenConsoleAsync();
        await EnterKeyAsync(page);

        // A session made elsewhere is listed with its state; open it.
        await Expect(page.Locator("#session-list li[data-session=carol] .pill")).ToHaveTextAsync("online");
        await page.GetByRole(AriaRole.Button, new() { Name = "carol", Exact = true }).ClickAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Roster" }).ClickAsync();
        var contact = page.Locator("#roster-list li");
        await Expect(contact.Locator("button.name")).ToHaveTextAsync($"Dave ({dave.Bare})");
        await Expect(contact.Locator(".pill")).ToHaveTextAsync("offline");

        // Join a new room, open it, say something: the room's reflection confirms it; an occupant answers live.
        var room = $"room-{Guid.NewGuid():N}"[..13] + "@" + prosody.Server.MucDomain;
        await page.GetByRole(AriaRole.Button, new() { Name = "Rooms" }).ClickAsync();
        await page.GetByLabel("Room JID").FillAsync(room);
        await page.GetByLabel("Nick").FillAsync("carol");
        await page.GetByRole(AriaRole.Button, new() { Name = "Join" }).ClickAsync();
        await Expect(page.Locator("#room-list li .pill")).ToHaveTextAsync("joined");
        await page.GetByRole(AriaRole.Button, new() { Name = room }).ClickAsync();
        await Expect(page.Locator("#conversation-title")).ToHaveTextAsync($"Room {room}");
        var body = page.GetByLabel("Message", new() { Exact = true });
        await body.FillAsync("hello room");
        await body.PressAsync("Enter");
        var mine = page.Locator("#messages li.bubble.out");
        await Expect(mine.Locator(".body")).ToHaveTextAsync("hello room");
        await Expect(mine.Locator(".ticks")).ToHaveAttributeAsync("data-status", "delivered");

        await using var peer = await RoomPeer.ConnectAsync(prosody.Server, dave);
        await peer.JoinAsync(Jid.Parse(room), "dave");
        await peer.SayAsync(Jid.Parse(room), "hi carol");
        await Expect(page.Locator("#messages li.bubble.in .body")).ToHaveTextAsync("hi carol");
        await Expect(page.Locator("#messages li.bubble.out")).ToHaveCountAsync(1);

        // Delete asks first, then the session is gone from the list and from the gateway.
        page.Dialog += (_, dialog) => _ = dialog.AcceptAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete session carol" }).ClickAsync();
        await Expect(page.Locator("#session-list li[data-session=carol]")).ToHaveCountAsync(0);
        await Expect(page.Locator("#session-view")).ToBeHiddenAsync();
        await (await rest.GetAsync(new Uri("/api/v1/sessions/carol", UriKind.Relative), Token)).ProblemAsync(404, "session-not-found");

        AssertNoConsoleProblems("/api/v1/webhooks");
    }

    [Fact]
    public async Task WebhookDeliveries_DeadLetterListed_RedeliverFromTheConsoleReachesTheReceiver()
    {
        var erin = await prosody.CreateAccountAsync("erin", Token);
        var frank = await prosody.CreateAccountAsync("frank", Token);
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = (_, _) => Task.FromResult(500);
        await using var app = new GatewayApiFactory(prosody.Server).UseRealSocket();
        app.Settings["Gateway:Webhooks:AllowHttp"] = "true";
        app.Settings["Gateway:Webhooks:AllowPrivateAddresses"] = "true";
        app.Settings["Gateway:Webhooks:MaxAttempts"] = "1";
        _gateway = app;
        await Gateway.Tests.Api.Hubs.HubTestKit.CreateSessionAsync(app, prosody.Server, erin, "erin");
        using var rest = app.CreateAlphaClient();
        var webhook = await WebhookTestKit.CreateWebhookAsync(rest, receiver.Url("/crm"), events: ["message"], sessions: ["erin"]);
        receiver.Secrets = [webhook.Secret];

        // The receiver fails the one attempt allowed: the delivery is dead-lettered.
        await using (var peer = await TestClients.ConnectOnlineAsync(prosody.Server, frank))
        {
            await peer.SendAsync(new Message { To = Jid.Parse(erin.Bare), Type = MessageType.Chat, Body = "for the CRM", Id = "crm-1" }, Token);
            await Gateway.Tests.Support.Eventually.WaitUntilAsync(() => !receiver.Received.IsEmpty, Patience);
        }

        var dead = await WebhookTestKit.WaitForDeliveryAsync(rest, webhook.Id, receiver.Snapshot()[0].EventId, "dead");

        var page = await OpenConsoleAsync();
        await EnterKeyAsync(page);
        await page.GetByRole(AriaRole.Button, new() { Name = receiver.Url("/crm") }).ClickAsync();
        var delivery = page.Locator("#delivery-list li");
        await Expect(delivery.Locator(".pill")).ToHaveTextAsync("dead");
        await Expect(delivery.Locator(".pill")).ToHaveAttributeAsync("data-state", "failed");
        await Expect(delivery).ToContainTextAsync($"#{dead.EventId}");
        await Expect(delivery).ToContainTextAsync("500");

        // The receiver works again; redeliver from the console: the same event arrives, signed, and the log says delivered.
        receiver.Respond = (_, _) => Task.FromResult(200);
        await delivery.GetByRole(AriaRole.Button, new() { Name = "Redeliver" }).ClickAsync();
        await Gateway.Tests.Support.Eventually.WaitUntilAsync(() => receiver.Received.Count == 2, Patience);
        var (first, again) = (receiver.Snapshot()[0], receiver.Snapshot()[1]);
        Assert.True(again.Verified, again.VerifyError);
        Assert.Equal((dead.EventId, first.Id, first.Body), (again.EventId, again.Id, again.Body));
        await WebhookTestKit.WaitForDeliveryAsync(rest, webhook.Id, dead.EventId, "delivered");
        await page.GetByRole(AriaRole.Button, new() { Name = receiver.Url("/crm") }).ClickAsync();
        await Expect(delivery.Locator(".pill")).ToHaveTextAsync("delivered");
        AssertNoConsoleProblems();
        app.Logs.AssertNoErrors();
    }

    private async Task<IPage> OpenConsoleAsync(Action<IResponse>? onResponse = null)
    {
        _context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = (_gateway ?? _app).ServerAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        });
        var page = await _context.NewPageAsync();
        page.Console += (_, message) =>
        {
            if (message.Type is "error" or "warning")
            {
                _consoleProblems.Add($"{message.Type}: {message.Text} ({message.Location})");
            }
        };
        page.PageError += (_, error) => _consoleProblems.Add($"page error: {error}");
        if (onResponse is not null)
        {
            page.Response += (_, response) => onResponse(response);
        }

        await page.GotoAsync("/");
        return page;
    }

    private static async Task EnterKeyAsync(IPage page)
    {
        await page.GetByRole(AriaRole.Textbox, new() { Name = "API key", Exact = true }).FillAsync(GatewayApiFactory.AlphaKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Use key" }).ClickAsync();
        await Expect(page.Locator("#hub-status")).ToHaveAttributeAsync("data-state", "connected");
        await Expect(page.Locator("#api-key")).ToBeHiddenAsync();
        await Expect(page.Locator("#api-key")).ToHaveValueAsync("");
    }

    /// <summary>
    /// No console error or warning, except the browser's own "Failed to load resource" line for the 404 answers the
    /// test provokes on purpose (Chromium logs every failed fetch; the page shows those answers itself).
    /// </summary>
    private void AssertNoConsoleProblems(params string[] allowed)
    {
        var problems = _consoleProblems
            .Where(p => !(p.Contains("status of 404", StringComparison.Ordinal) && allowed.Any(path => p.Contains(path + " ", StringComparison.Ordinal) || p.Contains(path + ":", StringComparison.Ordinal) || p.Contains(path + ")", StringComparison.Ordinal))))
            .ToList();
        Assert.True(problems.Count == 0, "Console problems:\n" + string.Join("\n", problems));
    }

    private static async Task<long> LastEventIdAsync(HttpClient client, string sessionId) =>
        (await (await client.GetAsync(new Uri($"/api/v1/sessions/{sessionId}", UriKind.Relative), Token)).ReadAsync<SessionDto>(200)).LastEventId;

    private static async Task WaitForEventAfterAsync(HttpClient client, string sessionId, long eventId)
    {
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(Token);
        patience.CancelAfter(Patience);
        while (await LastEventIdAsync(client, sessionId) <= eventId)
        {
            await Task.Delay(50, patience.Token);
        }
    }
}
