using System.Net;
using Gateway.Api.Webhooks;
using Gateway.Tests.Api.Hubs;
using Gateway.Tests.Support;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using static Gateway.Tests.Api.Webhooks.WebhookTestKit;

namespace Gateway.Tests.Api.Webhooks;

/// <summary>Deliveries to a real local HTTP receiver, the gateway on a scripted event pool (journal and live events).</summary>
[Trait("Tier", "Api")]
public sealed class WebhookDeliveryTests
{
    [Fact]
    [Trait("Spec", "Standard Webhooks: signature scheme")]
    public async Task Deliver_MessageEvent_SignedPerStandardWebhooksAndVerifiedByTheLibrary()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var pool = new FakeEventPool();
        await using var app = StartGateway(pool);
        using var client = app.CreateAlphaClient();
        var webhook = await CreateWebhookAsync(client, receiver.Url());
        receiver.Secrets = [webhook.Secret];
        Assert.StartsWith("whsec_", webhook.Secret, StringComparison.Ordinal);
        Assert.True(Convert.FromBase64String(webhook.Secret["whsec_".Length..]).Length >= 24);

        pool.Publish(Message("s1", 1, "hello"));

        await Eventually.WaitUntilAsync(() => !receiver.Received.IsEmpty);
        var got = Assert.Single(receiver.Snapshot());
        Assert.True(got.Verified, got.VerifyError);
        Assert.Equal("evt_s1_1", got.Id);
        Assert.Equal("message", got.Type);
        var data = got.Json.GetProperty("data");
        Assert.Equal(("s1", 1L, "message", "hello"), (data.GetProperty("sessionId").GetString(), data.GetProperty("eventId").GetInt64(), data.GetProperty("kind").GetString(), data.GetProperty("data").GetProperty("body").GetString()));
        Assert.Equal(data.GetProperty("receivedAt").GetDateTimeOffset(), got.Json.GetProperty("timestamp").GetDateTimeOffset());
        var delivered = await WaitForDeliveryAsync(client, webhook.Id, 1, "delivered");
        Assert.Equal((1, 200, "s1", "message"), (delivered.Attempts, delivered.LastStatusCode, delivered.SessionId, delivered.Kind));
        app.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task Deliver_ReceiverFailsTwice_RetriedWithTheSameIdAndBodyThenDelivered()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var calls = 0;
        receiver.Respond = (_, _) => Task.FromResult(Interlocked.Increment(ref calls) <= 2 ? 500 : 200);
        var pool = new FakeEventPool();
        await using var app = StartGateway(pool, maxAttempts: 5);
        using var client = app.CreateAlphaClient();
        var webhook = await CreateWebhookAsync(client, receiver.Url());
        receiver.Secrets = [webhook.Secret];

        pool.Publish(Message("s1", 1, "retry me"));

        var delivered = await WaitForDeliveryAsync(client, webhook.Id, 1, "delivered");
        Assert.Equal((3, 200), (delivered.Attempts, delivered.LastStatusCode));
        var requests = receiver.Snapshot();
        Assert.Equal(3, requests.Length);
        Assert.All(requests, r => Assert.True(r.Verified, r.VerifyError));
        Assert.Single(requests.Select(r => r.Id).Distinct());
        Assert.Single(requests.Select(r => r.Body).Distinct());
        app.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task Deliver_ReceiverAlwaysFails_DeadLetteredAfterMaxAttempts_RedeliverDeliversIt()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var failing = true;
        receiver.Respond = (_, _) => Task.FromResult(Volatile.Read(ref failing) ? 503 : 204);
        var pool = new FakeEventPool();
        await using var app = StartGateway(pool, maxAttempts: 3);
        using var client = app.CreateAlphaClient();
        var webhook = await CreateWebhookAsync(client, receiver.Url());
        receiver.Secrets = [webhook.Secret];

        pool.Publish(Message("s1", 1, "doomed"));

        var dead = await WaitForDeliveryAsync(client, webhook.Id, 1, "dead");
        Assert.Equal((3, 503, "HTTP 503"), (dead.Attempts, dead.LastStatusCode, dead.LastError));
        Assert.Equal(3, receiver.Received.Count);
        Assert.Equal(dead.Id, Assert.Single(await DeliveriesAsync(client, webhook.Id, "dead")).Id);

        Volatile.Write(ref failing, false);
        var redeliver = await client.PostAsync($"/api/v1/webhooks/{webhook.Id}/deliveries/{dead.Id}/redeliver", null, Token);
        Assert.Equal(HttpStatusCode.Accepted, redeliver.StatusCode);

        var delivered = await WaitForDeliveryAsync(client, webhook.Id, 1, "delivered");
        Assert.Equal((1, 204), (delivered.Attempts, delivered.LastStatusCode));
        Assert.Equal(4, receiver.Received.Count);
        Assert.Single(receiver.Snapshot().Select(r => r.Id).Distinct());
        await (await client.PostAsync($"/api/v1/webhooks/{webhook.Id}/deliveries/dlv_999999/redeliver", null, Token)).ProblemAsync(404, "delivery-not-found");
    }

    [Fact]
    public async Task Deliver_FailingEvent_BlocksLaterEventsOfItsSessionUntilDelivered()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var failuresOfTwo = 0;
        receiver.Respond = (r, _) => Task.FromResult(r.EventId == 2 && Interlocked.Increment(ref failuresOfTwo) <= 2 ? 500 : 200);
        var pool = new FakeEventPool();
        await using var app = StartGateway(pool, maxAttempts: 5);
        using var client = app.CreateAlphaClient();
        var webhook = await CreateWebhookAsync(client, receiver.Url());
        receiver.Secrets = [webhook.Secret];

        for (var i = 1; i <= 5; i++)
        {
            pool.Publish(Message("s1", i, $"m{i}"));
        }

        await WaitForDeliveryAsync(client, webhook.Id, 5, "delivered");
        var order = receiver.Snapshot().Select(r => r.EventId).ToArray();
        Assert.Equal([1L, 2, 2, 2, 3, 4, 5], order);
        app.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task Deliver_OneEndpointHangs_AnotherEndpointGetsItsEventsMeanwhile()
    {
        await using var slow = await WebhookReceiver.StartAsync();
        await using var fast = await WebhookReceiver.StartAsync();
        var hung = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        slow.Respond = async (_, ct) =>
        {
            hung.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return 200;
        };
        var pool = new FakeEventPool();
        await using var app = StartGateway(pool);
        using var client = app.CreateAlphaClient();
        var slowHook = await CreateWebhookAsync(client, slow.Url());
        var fastHook = await CreateWebhookAsync(client, fast.Url());
        fast.Secrets = [fastHook.Secret];

        pool.Publish(Message("s1", 1, "first"));
        await hung.Task.WaitAsync(TimeSpan.FromSeconds(10), Token);
        pool.Publish(Message("s1", 2, "second"));
        pool.Publish(Message("s2", 1, "other session"));

        await Eventually.WaitUntilAsync(() => fast.Received.Count == 3);
        Assert.Equal(["evt_s1_1", "evt_s1_2", "evt_s2_1"], fast.Snapshot().Select(r => r.Id).Order(StringComparer.Ordinal));

        // The slow endpoint still holds the first event of s1, so the second waits behind it (s2 has its own line).
        Assert.DoesNotContain("evt_s1_2", slow.Snapshot().Select(r => r.Id));
        var slowDeliveries = await DeliveriesAsync(client, slowHook.Id);
        Assert.DoesNotContain(slowDeliveries, d => d.Status == "delivered");
    }

    [Fact]
    public async Task Restart_CursorPersisted_NothingDeliveredIsSentAgainAndNothingIsLost()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var pool = new FakeEventPool();
        var storage = GatewayApiFactory.NewStorageDirectory();
        CreatedWebhookDto webhook;
        await using (var first = StartGateway(pool, storage, keepStorage: true))
        {
            using var client = first.CreateAlphaClient();
            webhook = await CreateWebhookAsync(client, receiver.Url());
            receiver.Secrets = [webhook.Secret];
            pool.Publish(Message("s1", 1, "before"));
            pool.Publish(Message("s1", 2, "before too"));
            await WaitForDeliveryAsync(client, webhook.Id, 2, "delivered");
        }

        // Journaled while the gateway is down (as a crash after journaling would leave it): nobody rings for it.
        pool.Journal(Message("s1", 3, "while down"));

        await using var second = StartGateway(pool, storage);
        using var again = second.CreateAlphaClient();
        await WaitForDeliveryAsync(again, webhook.Id, 3, "delivered");
        pool.Publish(Message("s1", 4, "after"));
        await WaitForDeliveryAsync(again, webhook.Id, 4, "delivered");

        Assert.Equal([1L, 2, 3, 4], receiver.Snapshot().Select(r => r.EventId));
        Assert.All(receiver.Snapshot(), r => Assert.True(r.Verified, r.VerifyError));
        second.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task Deliver_KindAndSessionFilters_OnlyWantedEventsArrive()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var pool = new FakeEventPool();
        await using var app = StartGateway(pool);
        using var client = app.CreateAlphaClient();
        var webhook = await CreateWebhookAsync(client, receiver.Url(), events: ["presence"], sessions: ["s1"]);
        receiver.Secrets = [webhook.Secret];

        pool.Publish(Message("s1", 1, "not wanted: a message"));
        pool.Publish(new PresenceReceived(GatewayApiFactory.AlphaTenant, "s2", 1, DateTimeOffset.UtcNow, new Presence { From = Jid.Parse("bob@example.com/phone") }));
        pool.Publish(Message("s1", 2, "not wanted either", tenant: GatewayApiFactory.BetaTenant));
        pool.Publish(new PresenceReceived(GatewayApiFactory.AlphaTenant, "s1", 2, DateTimeOffset.UtcNow, new Presence { From = Jid.Parse("bob@example.com/phone") }));

        await WaitForDeliveryAsync(client, webhook.Id, 2, "delivered");
        var got = Assert.Single(receiver.Snapshot());
        Assert.Equal(("evt_s1_2", "presence"), (got.Id, got.Type));
    }

    [Fact]
    [Trait("Spec", "Standard Webhooks: signature scheme (multiple signatures)")]
    public async Task RotateSecret_DeliveriesVerifyWithTheNewAndThePreviousSecret()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var pool = new FakeEventPool();
        await using var app = StartGateway(pool);
        using var client = app.CreateAlphaClient();
        var webhook = await CreateWebhookAsync(client, receiver.Url());

        var rotated = await (await client.PostAsync($"/api/v1/webhooks/{webhook.Id}/rotate-secret", null, Token)).ReadAsync<WebhookSecretDto>(200);
        Assert.NotEqual(webhook.Secret, rotated.Secret);
        receiver.Secrets = [rotated.Secret];
        pool.Publish(Message("s1", 1, "during the grace period"));
        await Eventually.WaitUntilAsync(() => receiver.Received.Count == 1);

        // New secret first, the previous one second (StandardWebhooks 1.1.2 for .NET checks only the first signature of
        // the header, so a receiver on the previous secret checks its own part; see docs/webhooks.md).
        var got = Assert.Single(receiver.Snapshot());
        Assert.True(got.Verified, got.VerifyError);
        var parts = got.Signature.Split(' ');
        Assert.Equal(2, parts.Length);
        var headers = new Microsoft.AspNetCore.Http.HeaderDictionary { ["webhook-id"] = got.Id, ["webhook-timestamp"] = got.Timestamp, ["webhook-signature"] = parts[1] };
        new StandardWebhooks.StandardWebhook(webhook.Secret).Verify(got.Body, headers);
    }

    [Fact]
    public async Task Deliver_EndpointKeepsFailing_CircuitOpensWithoutSpendingAttemptsThenRecovers()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var failing = true;
        receiver.Respond = (_, _) => Task.FromResult(Volatile.Read(ref failing) ? 500 : 200);
        var pool = new FakeEventPool();
        await using var app = StartGateway(pool, maxAttempts: 10);
        app.Settings["Gateway:Webhooks:CircuitMinimumThroughput"] = "2";
        app.Settings["Gateway:Webhooks:CircuitBreakDuration"] = "00:00:03";
        using var client = app.CreateAlphaClient();
        var webhook = await CreateWebhookAsync(client, receiver.Url());

        pool.Publish(Message("s1", 1, "breaker"));

        await Eventually.WaitUntilAsync(() => app.Logs.Entries.Any(l => l.EventId.Id == 6013));
        // The breaker opens on the second failure's outcome, a moment before the worker records that attempt.
        await WaitForDeliveryAsync(client, webhook.Id, 1, "failed", attempts: 2);
        Assert.Equal(2, receiver.Received.Count);

        Volatile.Write(ref failing, false);
        var delivered = await WaitForDeliveryAsync(client, webhook.Id, 1, "delivered");
        Assert.Equal(3, delivered.Attempts);
        Assert.Equal(3, receiver.Received.Count);
    }
}
