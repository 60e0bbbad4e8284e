using Gateway.Api.Contracts;
using Gateway.Api.Errors;
using Gateway.Api.OpenApi;

namespace Gateway.Api.Webhooks;

/// <summary>Example values for the webhook operations, in the same conversation as <see cref="Examples"/>.</summary>
internal static class WebhookExamples
{
    public const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwK0yM4kH6wUc=";

    public static readonly CreateWebhookRequest Create = new()
    {
        Url = "https://crm.example.com/hooks/xmpp",
        Events = ["message", "message-status"],
        Sessions = ["support-bot"],
        Description = "Tickets from chat",
    };

    public static readonly WebhookDto Webhook = new(
        "wh_5f2c9a0e7b1d4c3a8e6f0b2d", "https://crm.example.com/hooks/xmpp", ["message", "message-status"], ["support-bot"], "Tickets from chat", true, Examples.Since);

    public static readonly CreatedWebhookDto Created = new(
        Webhook.Id, Webhook.Url, Webhook.Events, Webhook.Sessions, Webhook.Description, Webhook.Enabled, Webhook.CreatedAt, Secret);

    public static readonly WebhookListDto List = new([Webhook, new("wh_0a7d3e1c9b5f2a8d6c4e1b0f", "https://bots.example.org/inbox", null, null, null, false, Examples.Since.AddDays(-3))]);

    public static readonly UpdateWebhookRequest Update = new() { Enabled = false };

    public static readonly WebhookSecretDto NewSecret = new("whsec_q3J0v2dY7yLr8m1pK4xZ6cW9bN5tH2gF0sA8eU3iO1o=");

    public static readonly WebhookDeliveryListDto Deliveries = new(
    [
        new("dlv_1043", 43, "support-bot", "message", "failed", 2, Examples.Since.AddMinutes(2), Examples.Since.AddMinutes(2).AddSeconds(11), Examples.Since.AddMinutes(2).AddSeconds(31), 503, "HTTP 503"),
        new("dlv_1042", 42, "support-bot", "message", "delivered", 1, Examples.Since.AddMinutes(1), Examples.Since.AddMinutes(1).AddSeconds(1), null, 200, null),
    ]);

    public static readonly GatewayProblemDetails NotFound = Examples.Make(404, ProblemCodes.WebhookNotFound, "There is no webhook 'wh_5f2c9a0e7b1d4c3a8e6f0b2d' for this API key.");

    public static readonly GatewayProblemDetails Invalid = Examples.Make(400, ProblemCodes.ValidationFailed, "The request is invalid: url must be https:// (plain http:// only where Gateway:Webhooks:AllowHttp is on)");

    public static readonly GatewayProblemDetails LimitReached = Examples.Make(429, ProblemCodes.WebhookLimitReached, "This tenant holds its maximum of 20 webhooks (Gateway:Webhooks:MaxWebhooksPerTenant).");
}
