using Gateway.Api.Webhooks;
using Gateway.Tests.Api.Hubs;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;

namespace Gateway.Tests.Api.Webhooks;

/// <summary>The gateway on a scripted event pool, with webhook settings fit for tests (loopback and http allowed, short backoff).</summary>
internal static class WebhookTestKit
{
    public static CancellationToken Token => TestContext.Current.CancellationToken;

    public static GatewayApiFactory StartGateway(FakeEventPool pool, string? storageDirectory = null, int maxAttempts = 3, bool keepStorage = false)
    {
        var factory = storageDirectory is null
            ? new GatewayApiFactory { Pool = pool, KeepStorage = keepStorage }
            : new GatewayApiFactory { Pool = pool, StorageDirectory = storageDirectory, KeepStorage = keepStorage };
        factory.Settings["Gateway:Webhooks:AllowHttp"] = "true";
        factory.Settings["Gateway:Webhooks:AllowPrivateAddresses"] = "true";
        factory.Settings["Gateway:Webhooks:MaxAttempts"] = maxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture);
        factory.Settings["Gateway:Webhooks:RetryBaseDelay"] = "00:00:00.050";
        factory.Settings["Gateway:Webhooks:RetryMaxDelay"] = "00:00:00.200";
        factory.Settings["Gateway:Webhooks:AttemptTimeout"] = "00:00:30";
        return factory;
    }

    public static async Task<CreatedWebhookDto> CreateWebhookAsync(HttpClient client, string url, string[]? events = null, string[]? sessions = null)
    {
        var response = await client.PostJsonAsync("/api/v1/webhooks", new CreateWebhookRequest { Url = url, Events = events, Sessions = sessions });
        return await response.ReadAsync<CreatedWebhookDto>(201);
    }

    public static MessageReceived Message(string sessionId, long eventId, string body, string tenant = GatewayApiFactory.AlphaTenant) =>
        new(tenant, sessionId, eventId, DateTimeOffset.UtcNow, new Message { From = Jid.Parse("bob@example.com/phone"), Type = MessageType.Chat, Body = body, Id = $"m-{eventId}" });

    public static async Task<WebhookDeliveryDto[]> DeliveriesAsync(HttpClient client, string webhookId, string? status = null)
    {
        var url = $"/api/v1/webhooks/{webhookId}/deliveries" + (status is null ? "" : $"?status={status}");
        return [.. (await (await client.GetAsync(url, Token)).ReadAsync<WebhookDeliveryListDto>(200)).Items];
    }

    /// <summary>Polls the delivery log until a delivery of the event has the status (and, when given, that many attempts); fails after 20 s.</summary>
    public static async Task<WebhookDeliveryDto> WaitForDeliveryAsync(HttpClient client, string webhookId, long eventId, string status, int? attempts = null)
    {
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(Token);
        patience.CancelAfter(TimeSpan.FromSeconds(20));
        while (true)
        {
            if ((await DeliveriesAsync(client, webhookId)).FirstOrDefault(d => d.EventId == eventId && d.Status == status && (attempts is null || d.Attempts == attempts)) is { } found)
            {
                return found;
            }

            await Task.Delay(20, patience.Token);
        }
    }
}
