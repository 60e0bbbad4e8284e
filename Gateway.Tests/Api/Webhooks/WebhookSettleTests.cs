using Gateway.Api.Webhooks;
using Gateway.Tests.Api.Hubs;
using Microsoft.Extensions.DependencyInjection;
using static Gateway.Tests.Api.Webhooks.WebhookTestKit;

namespace Gateway.Tests.Api.Webhooks;

/// <summary>
/// In a cluster a session's webhooks are delivered by the node that runs it; when the session leaves a node, that node
/// settles its webhook attempts (<see cref="WebhookDispatcher.SettleAsync"/>) before the next node may start: an attempt
/// on the wire is let finish and its outcome recorded; a delivery only waiting for a retry is left open at once.
/// </summary>
[Trait("Tier", "Api")]
public sealed class WebhookSettleTests
{
    [Fact]
    public async Task Settle_WaitsForTheAttemptOnTheWire_AndItsRecordedOutcome()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        receiver.Respond = async (_, cancellationToken) =>
        {
            arrived.TrySetResult();
            await release.Task.WaitAsync(cancellationToken);
            return 200;
        };
        var pool = new FakeEventPool();
        var ownership = new SwitchableOwnership();
        await using var app = Start(pool, ownership, retryDelay: "00:00:00.050");
        using var client = app.CreateAlphaClient();
        var webhook = await CreateWebhookAsync(client, receiver.Url());
        receiver.Secrets = [webhook.Secret];

        pool.Publish(Message("s1", 1, "on the wire"));
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(20), Token);

        // The session leaves this node while its attempt is out: settling waits for that attempt.
        ownership.RunsHere = false;
        var settle = app.Services.GetRequiredService<WebhookDispatcher>().SettleAsync(GatewayApiFactory.AlphaTenant, "s1", Token);
        Assert.False(settle.IsCompleted);

        release.SetResult();
        await settle.WaitAsync(TimeSpan.FromSeconds(20), Token);

        // Recorded by the time settling returned: the next node finds it delivered and does not attempt it again.
        var delivery = Assert.Single(await DeliveriesAsync(client, webhook.Id));
        Assert.Equal(("delivered", 1), (delivery.Status, delivery.Attempts));
        Assert.Single(receiver.Snapshot());
    }

    [Fact]
    public async Task Settle_DoesNotWaitForARetry_TheDeliveryStaysOpenForTheNextNode()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = (_, _) => Task.FromResult(500);
        var pool = new FakeEventPool();
        var ownership = new SwitchableOwnership();
        await using var app = Start(pool, ownership, retryDelay: "00:10:00");
        using var client = app.CreateAlphaClient();
        var webhook = await CreateWebhookAsync(client, receiver.Url());
        receiver.Secrets = [webhook.Secret];

        pool.Publish(Message("s1", 1, "failing"));
        await WaitForDeliveryAsync(client, webhook.Id, 1, "failed", attempts: 1);

        // Ten minutes before its retry, the session leaves: settling returns at once, the delivery stays open.
        ownership.RunsHere = false;
        await app.Services.GetRequiredService<WebhookDispatcher>().SettleAsync(GatewayApiFactory.AlphaTenant, "s1", Token).WaitAsync(TimeSpan.FromSeconds(20), Token);

        var delivery = Assert.Single(await DeliveriesAsync(client, webhook.Id));
        Assert.Equal(("failed", 1), (delivery.Status, delivery.Attempts));
        Assert.Single(receiver.Snapshot());
    }

    [Fact]
    public async Task Settle_ForASessionWithNothingInFlight_ReturnsAtOnce()
    {
        var ownership = new SwitchableOwnership { RunsHere = false };
        await using var app = Start(new FakeEventPool(), ownership, retryDelay: "00:00:00.050");
        using var client = app.CreateAlphaClient();
        await CreateWebhookAsync(client, "http://127.0.0.1:9/hook");

        await app.Services.GetRequiredService<WebhookDispatcher>().SettleAsync(GatewayApiFactory.AlphaTenant, "s1", Token).WaitAsync(TimeSpan.FromSeconds(20), Token);
    }

    private static GatewayApiFactory Start(FakeEventPool pool, SwitchableOwnership ownership, string retryDelay)
    {
        var factory = new GatewayApiFactory { Pool = pool, ConfigureServices = services => services.AddSingleton<IWebhookSessionOwnership>(ownership) };
        factory.Settings["Gateway:Webhooks:AllowHttp"] = "true";
        factory.Settings["Gateway:Webhooks:AllowPrivateAddresses"] = "true";
        factory.Settings["Gateway:Webhooks:MaxAttempts"] = "5";
        factory.Settings["Gateway:Webhooks:RetryBaseDelay"] = retryDelay;
        factory.Settings["Gateway:Webhooks:RetryMaxDelay"] = retryDelay;
        factory.Settings["Gateway:Webhooks:AttemptTimeout"] = "00:00:30";
        return factory;
    }

    /// <summary>Whether this node runs the session, as the cluster's ownership would say.</summary>
    private sealed class SwitchableOwnership : IWebhookSessionOwnership
    {
        private volatile bool _runsHere = true;

        public bool RunsHere
        {
            get => _runsHere;
            set => _runsHere = value;
        }

        public bool DeliversHere(string tenant, string sessionId) => _runsHere;
    }
}
