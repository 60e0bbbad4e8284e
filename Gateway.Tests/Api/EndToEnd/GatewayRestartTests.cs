using System.Net;
using System.Net.Http.Json;
using Gateway.Api.Contracts;
using Gateway.Api.Hubs;
using Gateway.Tests.Api.Hubs;
using Gateway.Tests.Fakes;
using Gateway.Tests.Integration.Client;
using Gateway.Tests.Integration.Prosody;
using Gateway.Xmpp;
using Microsoft.AspNetCore.SignalR.Client;

namespace Gateway.Tests.Api.EndToEnd;

/// <summary>
/// The gateway process restarts on the same SQLite store. Inbound: while messages keep arriving, the second gateway
/// restores the session and its event numbering, catches up from the server's archive on what arrived while no
/// gateway was running, and a subscriber that returns with its last event id gets all of it, once, in order.
/// Outbound: messages accepted (202) and not yet acknowledged by the server are sent by the second gateway.
/// </summary>
[Trait("Tier", "Api")]
public sealed class GatewayRestartTests(ProsodyFixture prosody) : IAsyncDisposable
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private readonly string _storage = GatewayApiFactory.NewStorageDirectory();
    private readonly List<IAsyncDisposable> _disposables = [];

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

    /// <summary>A gateway process on the shared store, started.</summary>
    private GatewayApiFactory StartGateway()
    {
        var app = new GatewayApiFactory(prosody.Server) { StorageDirectory = _storage, KeepStorage = true }.UseRealSocket();
        _disposables.Add(app);
        _ = app.ServerAddress; // starts the host: the pool restores the stored sessions now
        return app;
    }

    private async Task<(HubConnection Connection, EventRecorder Events)> ConnectAsync(GatewayApiFactory app)
    {
        var (connection, events) = await HubTestKit.ConnectAsync(app);
        _disposables.Add(connection);
        return (connection, events);
    }

    [Fact]
    public async Task RestartMidStream_SubscriberWithLastEventId_GetsEverythingOnceInOrder()
    {
        const int Total = 40;
        var ids = Enumerable.Range(1, Total).Select(i => $"m-{i}").ToArray();
        var account = await prosody.CreateAccountAsync("restart", Token);
        await using var bob = await TestClients.ConnectOnlineAsync(prosody.Server, await prosody.CreateAccountAsync("bob", Token));
        var to = Jid.Parse(account.Bare);
        Task SendAsync(string id) => bob.SendAsync(new Message { To = to, Type = MessageType.Chat, Body = id, Id = id }, Token);

        var first = StartGateway();
        var session = await HubTestKit.CreateSessionAsync(first, prosody.Server, account, "restarting");
        var (subscriber, events) = await ConnectAsync(first);
        await subscriber.InvokeAsync<SubscriptionDto>("Subscribe", session.Id, Token);
        foreach (var id in ids[..5])
        {
            await SendAsync(id);
        }

        var lastSeen = (await events.NextAsync<MessageDto>(m => m.Data.Id == "m-5")).EventId;
        await subscriber.StopAsync(Token);

        // Three stretches: while the first gateway runs (journaled there, replayed by the second), while no
        // gateway runs (only the server's archive has them), and while the second gateway restores the session.
        var (witness, witnessEvents) = await ConnectAsync(first);
        await witness.InvokeAsync<SubscriptionDto>("Subscribe", session.Id, Token);
        foreach (var id in ids[5..12])
        {
            await SendAsync(id);
        }

        await witnessEvents.NextAsync<MessageDto>(m => m.Data.Id == "m-12");
        await first.DisposeAsync();
        foreach (var id in ids[12..25])
        {
            await SendAsync(id);
        }

        var second = StartGateway();
        var stream = Task.Run(async () =>
        {
            foreach (var id in ids[25..])
            {
                await SendAsync(id);
                await Task.Delay(20, Token);
            }
        }, Token);
        using (var client = second.CreateAlphaClient())
        {
            var restored = await (await client.GetAsync(new Uri($"/api/v1/sessions/{session.Id}", UriKind.Relative), Token)).ReadAsync<SessionDto>(200);
            Assert.Equal(session.Jid, restored.Jid);
        }

        await stream;
        var (returning, returned) = await ConnectAsync(second);
        var subscription = await returning.InvokeAsync<SubscriptionDto>("SubscribeAfter", session.Id, lastSeen, Token);
        Assert.Equal(lastSeen, subscription.LastEventId);

        var got = new List<EventEnvelope<MessageDto>>();
        foreach (var id in ids[5..])
        {
            got.Add(await returned.NextAsync<MessageDto>(m => m.Data.Id == id));
        }

        // Stragglers (a repeat would come late) get a moment before "once" is asserted.
        await Task.Delay(500, Token);
        Assert.Equal(ids[5..], got.OrderBy(m => m.EventId).Select(m => m.Data.Id));
        Assert.False(returned.Received<MessageDto>(m => m.Data.Id is not null && ids.Contains(m.Data.Id)), "a message arrived twice, or one from before the resume point arrived");
        var eventIds = returned.EventIds;
        Assert.Equal(Enumerable.Range((int)lastSeen + 1, eventIds.Count).Select(i => (long)i), eventIds);
        Assert.Contains(second.Logs.Entries, e => e.EventId.Id == 4301); // the archive catch-up ran
        first.Logs.AssertNoErrors();
        second.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task RestartWithAcceptedUnacknowledgedMessages_SecondGatewaySendsThemOnceInOrder()
    {
        var account = await prosody.CreateAccountAsync("outbox", Token);
        await using var bob = await TestClients.ConnectOnlineAsync(prosody.Server, await prosody.CreateAccountAsync("bob", Token));
        await using var proxy = FaultProxy.Start(new IPEndPoint(IPAddress.Loopback, prosody.Server.C2sPort));
        var first = StartGateway();
        const string SessionId = "outboxed";
        string lastId;
        using (var client = first.CreateAlphaClient())
        {
            var created = await client.PostJsonAsync("/api/v1/sessions", new CreateSessionRequest
            {
                Id = SessionId, Jid = account.Bare, Password = account.Password, Host = "127.0.0.1", Port = proxy.Port,
            });
            await created.ReadAsync<SessionDto>(201);

            // The path works: m-1 is acknowledged by the server and reaches bob.
            await PostAsync(client, bob.Jid.Bare, "m-1", wait: "server");
            Assert.Equal("m-1", (await bob.ReceiveAsync<Message>(m => m.Body is not null)).Body);

            // Sent into a stalled network and lost with it (the server never sees them), then queued while the
            // session cannot reconnect at all. Each is accepted with 202.
            proxy.Stall(true);
            await PostAsync(client, bob.Jid.Bare, "m-2");
            await PostAsync(client, bob.Jid.Bare, "m-3");
            proxy.RefuseNew = true;
            await proxy.CutAllAsync(Token);
            await PostAsync(client, bob.Jid.Bare, "m-4");
            lastId = await PostAsync(client, bob.Jid.Bare, "m-5", idempotencyKey: "retry-me");
        }

        await first.DisposeAsync();
        proxy.Stall(false);
        proxy.RefuseNew = false;

        var second = StartGateway();
        using (var client = second.CreateAlphaClient())
        {
            // The caller never saw the first answer and retries against the new process: same message, not sent again.
            Assert.Equal(lastId, await PostAsync(client, bob.Jid.Bare, "m-5", idempotencyKey: "retry-me"));
        }

        string[] expected = ["m-2", "m-3", "m-4", "m-5"];
        foreach (var body in expected)
        {
            Assert.Equal(body, (await bob.ReceiveAsync<Message>(m => m.Body is not null)).Body);
        }

        using (var client = second.CreateAlphaClient())
        {
            // Acknowledged by the server now; the outbox lets go of it.
            await client.WaitForMessageStatusAsync(SessionId, lastId, s => s is "acked" or "delivered" or "displayed");
        }

        // Stragglers: a repeat would show up now.
        await Task.Delay(500, Token);
        Assert.False(await ReceivedWithinAsync(bob, TimeSpan.FromMilliseconds(200)), "a message arrived twice");
        first.Logs.AssertNoErrors();
        second.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task Restart_StatusesOfEarlierMessages_FromTheJournal_KeyedRetryNotResent_LateReceiptApplies()
    {
        var account = await prosody.CreateAccountAsync("statuses", Token);
        await using var bob = await TestClients.ConnectOnlineAsync(prosody.Server, await prosody.CreateAccountAsync("bob", Token));
        const string SessionId = "outboxed";
        string keyedId, receiptId;
        var first = StartGateway();
        using (var client = first.CreateAlphaClient())
        {
            var created = await client.PostJsonAsync("/api/v1/sessions", new CreateSessionRequest
            {
                Id = SessionId, Jid = account.Bare, Password = account.Password, Host = "127.0.0.1", Port = prosody.Server.C2sPort,
            });
            await created.ReadAsync<SessionDto>(201);
            keyedId = await PostAsync(client, bob.Jid.Bare, "keyed", wait: "server", idempotencyKey: "once-only");
            receiptId = await PostAsync(client, bob.Jid.Bare, "receipt later", wait: "server");
        }

        Assert.Equal("keyed", (await bob.ReceiveAsync<Message>(m => m.Body is not null)).Body);
        Assert.Equal("receipt later", (await bob.ReceiveAsync<Message>(m => m.Body is not null)).Body);
        await first.DisposeAsync();

        var second = StartGateway();
        using var again = second.CreateAlphaClient();

        // The new process never tracked these messages: what it knows comes from the journal.
        Assert.Equal("acked", await StatusAsync(again, keyedId));
        Assert.Equal("acked", await StatusAsync(again, receiptId));

        // The caller retries the acknowledged send with its key: same message, answered as acknowledged, not sent again
        // (the sentinel sent after it is the next thing bob gets).
        Assert.Equal(keyedId, await PostAsync(again, bob.Jid.Bare, "keyed", wait: "server", idempotencyKey: "once-only"));
        await PostAsync(again, bob.Jid.Bare, "sentinel", wait: "server");
        Assert.Equal("sentinel", (await bob.ReceiveAsync<Message>(m => m.Body is not null)).Body);

        // A receipt for a message the first process sent still moves it (XEP-0184).
        await bob.SendAsync(new Message { To = Jid.Parse(account.Bare), Type = MessageType.Chat, Payload = [ReceiptElements.ReceivedFor(receiptId)] }, Token);
        await again.WaitForMessageStatusAsync(SessionId, receiptId, s => s is "delivered");

        first.Logs.AssertNoErrors();
        second.Logs.AssertNoErrors();
    }

    private static async Task<string> StatusAsync(HttpClient client, string messageId) =>
        (await (await client.GetAsync($"/api/v1/sessions/outboxed/messages/{messageId}", Token)).ReadAsync<MessageStatusDto>(200)).Status;

    /// <summary>Sends through REST, answered 202; returns the message id.</summary>
    private static async Task<string> PostAsync(HttpClient client, Jid to, string body, string? wait = null, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/sessions/outboxed/messages" + (wait is null ? "" : $"?wait={wait}"))
        {
            Content = JsonContent.Create(new PostMessageRequest { To = to.ToString(), Body = body }, options: GatewayApiFactory.Json),
        };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return (await (await client.SendAsync(request, Token)).ReadAsync<StanzaAcceptedDto>(202)).Id;
    }

    private static async Task<bool> ReceivedWithinAsync(XmppClient client, TimeSpan patience)
    {
        try
        {
            await client.ReceiveAsync<Message>(m => m.Body is not null, patience);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
