using Gateway.Api.Auth;
using Gateway.Api.Errors;
using Gateway.Api.OpenApi;
using Gateway.Xmpp.Pool;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Gateway.Api.Webhooks;

/// <summary><c>/api/v1/webhooks</c>: the tenant's webhooks, their secrets and their delivery log.</summary>
internal static class WebhooksApi
{
    public const string BasePath = "/api/v1/webhooks";

    public const string Tag = "Webhooks";

    private const int DefaultDeliveryLimit = 50;
    private const int MaxDeliveryLimit = 500;

    public static IEndpointRouteBuilder MapWebhooks(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup(BasePath).RequireAuthorization().WithTags(Tag);

        group.MapPost("", Create)
            .RequireScope(ApiScopes.Admin)
            .Documented(
                "CreateWebhook",
                "Register a webhook",
                "Registers a URL to POST the tenant's session events to, signed per Standard Webhooks (`webhook-id`, " +
                "`webhook-timestamp`, `webhook-signature`: HMAC-SHA256 with the secret over `{id}.{timestamp}.{body}`). " +
                "The body is `{ type, timestamp, data }` with the hub's event envelope as `data`; `webhook-id` is " +
                "`evt_{sessionId}_{eventId}`, the same on every retry, so receivers deduplicate on it. Events received " +
                "from now on are delivered, at least once and in order per session. `events` and `sessions` null mean all " +
                "(sessions created later included). The answer carries the signing `secret`, shown only here and by " +
                "rotate-secret. The URL must be https:// (http:// only with `Gateway:Webhooks:AllowHttp`), without user " +
                "info; deliveries never reach loopback or private addresses unless `Gateway:Webhooks:AllowPrivateAddresses`. " +
                "429 `webhook-limit-reached` past `Gateway:Webhooks:MaxWebhooksPerTenant`.",
                WebhookExamples.Create,
                new Dictionary<int, object> { [201] = WebhookExamples.Created, [400] = WebhookExamples.Invalid, [429] = WebhookExamples.LimitReached })
            .ProducesProblems(400, 413, 415, 429);

        group.MapGet("", List)
            .RequireScope(ApiScopes.Read)
            .Documented("ListWebhooks", "List webhooks", "The tenant's webhooks, oldest first, without their secrets.",
                responseExamples: new Dictionary<int, object> { [200] = WebhookExamples.List });

        group.MapGet("/{id}", Get)
            .RequireScope(ApiScopes.Read)
            .Documented("GetWebhook", "Get a webhook", "One webhook, without its secret. Another tenant's webhook answers 404 like an unknown one.",
                responseExamples: new Dictionary<int, object> { [200] = WebhookExamples.Webhook, [404] = WebhookExamples.NotFound })
            .ProducesProblems(404);

        group.MapPatch("/{id}", Update)
            .RequireScope(ApiScopes.Admin)
            .Documented(
                "UpdateWebhook",
                "Change a webhook",
                "Changes the fields present (`url`, `events`, `sessions`, `description`, `enabled`); null `events` or " +
                "`sessions` mean all. Disabling pauses deliveries: the cursors stay, and enabling resumes where they stopped " +
                "(as far as the event log's retention still holds the events). Deliveries under way are cut and retried.",
                WebhookExamples.Update,
                new Dictionary<int, object> { [200] = WebhookExamples.Webhook with { Enabled = false }, [404] = WebhookExamples.NotFound })
            .ProducesProblems(400, 404, 413, 415);

        group.MapDelete("/{id}", Delete)
            .RequireScope(ApiScopes.Admin)
            .Documented("DeleteWebhook", "Delete a webhook", "Stops its deliveries and forgets it with its delivery log. 204, or 404.",
                responseExamples: new Dictionary<int, object> { [404] = WebhookExamples.NotFound })
            .ProducesProblems(404);

        group.MapPost("/{id}/rotate-secret", RotateSecret)
            .RequireScope(ApiScopes.Admin)
            .Documented(
                "RotateWebhookSecret",
                "Rotate the signing secret",
                "Issues a new secret and answers it (the only time it is shown). For `Gateway:Webhooks:SecretRotationGracePeriod` " +
                "(24 h by default) deliveries carry two signatures, with the new and with the previous secret, space-separated " +
                "as Standard Webhooks allows; a receiver that knows either accepts them, so it can switch at its pace.",
                responseExamples: new Dictionary<int, object> { [200] = WebhookExamples.NewSecret, [404] = WebhookExamples.NotFound })
            .ProducesProblems(404);

        group.MapGet("/{id}/deliveries", Deliveries)
            .RequireScope(ApiScopes.Read)
            .Documented(
                "ListWebhookDeliveries",
                "List deliveries",
                "The webhook's delivery log, newest first: `pending` (queued), `delivered`, `failed` (a retry is due at " +
                "`nextAttemptAt`) or `dead` (every attempt failed; redeliver it). `status` filters, `limit` (1 to 500, 50 by " +
                "default) bounds the page. Delivered entries beyond `Gateway:Webhooks:DeliveryLogSize` are removed.",
                responseExamples: new Dictionary<int, object> { [200] = WebhookExamples.Deliveries, [404] = WebhookExamples.NotFound })
            .ProducesProblems(400, 404);

        group.MapPost("/{id}/deliveries/{deliveryId}/redeliver", Redeliver)
            .RequireScope(ApiScopes.Admin)
            .Documented(
                "RedeliverWebhookDelivery",
                "Redeliver",
                "Queues the delivery again with a fresh attempt budget, whatever its state (dead included). It goes at the " +
                "head of its session's line: later events of that session wait for it, so order per session holds. 202.",
                responseExamples: new Dictionary<int, object> { [404] = WebhookExamples.NotFound })
            .ProducesProblems(404);

        return endpoints;
    }

    /// <param name="body">The webhook.</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="store">The webhook store.</param>
    /// <param name="dispatcher">Runs the deliveries.</param>
    /// <param name="pool">The session pool (sessions' current heads).</param>
    /// <param name="options">Webhook settings.</param>
    /// <param name="time">The clock.</param>
    /// <param name="loggers">Loggers.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Results<Created<CreatedWebhookDto>, ProblemHttpResult>> Create(
        CreateWebhookRequest body, HttpContext httpContext, IWebhookStore store, WebhookDispatcher dispatcher, ISessionPool pool,
        IOptions<WebhookOptions> options, TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var tenant = httpContext.User.GetTenant();
        var errors = new Dictionary<string, string[]>();
        var url = WebhookRequestRules.Url(body.Url, options.Value.AllowHttp, errors);
        var events = WebhookRequestRules.Events(body.Events, errors);
        var sessions = WebhookRequestRules.Sessions(body.Sessions, errors);
        var description = WebhookRequestRules.Description(body.Description, errors);
        if (errors.Count > 0 || url is null)
        {
            return GatewayProblems.Validation(httpContext, errors);
        }

        var max = options.Value.MaxWebhooksPerTenant;
        if (await store.CountAsync(tenant, cancellationToken) >= max)
        {
            return GatewayProblems.Result(httpContext, StatusCodes.Status429TooManyRequests, ProblemCodes.WebhookLimitReached,
                $"This tenant holds its maximum of {max} webhooks ({WebhookOptions.Section}:MaxWebhooksPerTenant).");
        }

        // Whole milliseconds: what the store keeps and what is shown stay equal.
        var now = time.GetUtcNow();
        var createdAt = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
        var webhook = new Webhook(WebhookSecrets.NewWebhookId(), tenant, url, events, sessions, description, true, createdAt, WebhookSecrets.NewSecret(), null, null);

        // Start each live session at its current head: only events after this point are delivered.
        var cursors = pool.List(tenant).Where(s => webhook.WantsSession(s.Id)).Select(s => (s.Id, s.LastEventId)).ToList();
        await store.InsertAsync(webhook, cursors, cancellationToken);
        await dispatcher.ApplyAsync(webhook, cancellationToken);
        WebhookLog.Registered(loggers.CreateLogger(typeof(WebhooksApi)), webhook.Id, tenant, url.GetLeftPart(UriPartial.Authority));
        httpContext.Response.Headers[HeaderNames.CacheControl] = "no-store";
        return TypedResults.Created(Location(webhook.Id), WebhookMapper.ToCreatedDto(webhook));
    }

    /// <param name="httpContext">The request.</param>
    /// <param name="store">The webhook store.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Ok<WebhookListDto>> List(HttpContext httpContext, IWebhookStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(new WebhookListDto([.. (await store.ListAsync(httpContext.User.GetTenant(), cancellationToken)).Select(WebhookMapper.ToDto)]));

    /// <param name="id">The webhook id.</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="store">The webhook store.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Results<Ok<WebhookDto>, ProblemHttpResult>> Get(string id, HttpContext httpContext, IWebhookStore store, CancellationToken cancellationToken) =>
        await store.FindAsync(httpContext.User.GetTenant(), id, cancellationToken) is { } webhook
            ? TypedResults.Ok(WebhookMapper.ToDto(webhook))
            : NotFound(httpContext, id);

    /// <param name="id">The webhook id.</param>
    /// <param name="body">The fields to change.</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="store">The webhook store.</param>
    /// <param name="dispatcher">Runs the deliveries.</param>
    /// <param name="options">Webhook settings.</param>
    /// <param name="loggers">Loggers.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Results<Ok<WebhookDto>, ProblemHttpResult>> Update(
        string id, UpdateWebhookRequest body, HttpContext httpContext, IWebhookStore store, WebhookDispatcher dispatcher,
        IOptions<WebhookOptions> options, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var tenant = httpContext.User.GetTenant();
        if (await store.FindAsync(tenant, id, cancellationToken) is not { } webhook)
        {
            return NotFound(httpContext, id);
        }

        var errors = new Dictionary<string, string[]>();
        var changed = webhook with
        {
            Url = body.HasUrl ? WebhookRequestRules.Url(body.Url, options.Value.AllowHttp, errors) ?? webhook.Url : webhook.Url,
            Events = body.HasEvents ? WebhookRequestRules.Events(body.Events, errors) : webhook.Events,
            Sessions = body.HasSessions ? WebhookRequestRules.Sessions(body.Sessions, errors) : webhook.Sessions,
            Description = body.HasDescription ? WebhookRequestRules.Description(body.Description, errors) : webhook.Description,
            Enabled = body.Enabled ?? webhook.Enabled,
        };
        if (errors.Count > 0)
        {
            return GatewayProblems.Validation(httpContext, errors);
        }

        if (!await store.UpdateAsync(changed, cancellationToken))
        {
            return NotFound(httpContext, id);
        }

        await dispatcher.ApplyAsync(changed, cancellationToken);
        WebhookLog.Updated(loggers.CreateLogger(typeof(WebhooksApi)), id, tenant);
        return TypedResults.Ok(WebhookMapper.ToDto(changed));
    }

    /// <param name="id">The webhook id.</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="store">The webhook store.</param>
    /// <param name="dispatcher">Runs the deliveries.</param>
    /// <param name="loggers">Loggers.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Results<NoContent, ProblemHttpResult>> Delete(
        string id, HttpContext httpContext, IWebhookStore store, WebhookDispatcher dispatcher, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var tenant = httpContext.User.GetTenant();
        if (await store.FindAsync(tenant, id, cancellationToken) is null)
        {
            return NotFound(httpContext, id);
        }

        await dispatcher.RemoveAsync(id, cancellationToken);
        if (!await store.DeleteAsync(tenant, id, cancellationToken))
        {
            return NotFound(httpContext, id);
        }

        WebhookLog.Deleted(loggers.CreateLogger(typeof(WebhooksApi)), id, tenant);
        return TypedResults.NoContent();
    }

    /// <param name="id">The webhook id.</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="store">The webhook store.</param>
    /// <param name="dispatcher">Runs the deliveries.</param>
    /// <param name="options">Webhook settings.</param>
    /// <param name="time">The clock.</param>
    /// <param name="loggers">Loggers.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Results<Ok<WebhookSecretDto>, ProblemHttpResult>> RotateSecret(
        string id, HttpContext httpContext, IWebhookStore store, WebhookDispatcher dispatcher, IOptions<WebhookOptions> options,
        TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var tenant = httpContext.User.GetTenant();
        if (await store.FindAsync(tenant, id, cancellationToken) is not { } webhook)
        {
            return NotFound(httpContext, id);
        }

        var grace = options.Value.SecretRotationGracePeriod;
        var rotated = webhook with
        {
            Secret = WebhookSecrets.NewSecret(),
            PreviousSecret = grace > TimeSpan.Zero ? webhook.Secret : null,
            PreviousSecretUntil = grace > TimeSpan.Zero ? time.GetUtcNow() + grace : null,
        };
        if (!await store.UpdateAsync(rotated, cancellationToken))
        {
            return NotFound(httpContext, id);
        }

        await dispatcher.ApplyAsync(rotated, cancellationToken);
        WebhookLog.SecretRotated(loggers.CreateLogger(typeof(WebhooksApi)), id, tenant);
        httpContext.Response.Headers[HeaderNames.CacheControl] = "no-store";
        return TypedResults.Ok(new WebhookSecretDto(rotated.Secret));
    }

    /// <param name="id">The webhook id.</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="store">The webhook store.</param>
    /// <param name="status">pending, delivered, failed or dead; all when absent.</param>
    /// <param name="limit">Entries to return, 1 to 500 (50 by default).</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Results<Ok<WebhookDeliveryListDto>, ProblemHttpResult>> Deliveries(
        string id, HttpContext httpContext, IWebhookStore store, string? status, int? limit, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        WebhookDeliveryStatus? only = null;
        if (status is not null)
        {
            if (WebhookDeliveryStatusNames.TryParse(status, out var parsed))
            {
                only = parsed;
            }
            else
            {
                errors["status"] = [WebhookDeliveryStatusNames.Rule];
            }
        }

        if (limit is < 1 or > MaxDeliveryLimit)
        {
            errors["limit"] = [$"must be 1 to {MaxDeliveryLimit}"];
        }

        if (errors.Count > 0)
        {
            return GatewayProblems.Validation(httpContext, errors);
        }

        if (await store.FindAsync(httpContext.User.GetTenant(), id, cancellationToken) is null)
        {
            return NotFound(httpContext, id);
        }

        var deliveries = await store.ListDeliveriesAsync(id, only, limit ?? DefaultDeliveryLimit, cancellationToken);
        return TypedResults.Ok(new WebhookDeliveryListDto([.. deliveries.Select(WebhookMapper.ToDto)]));
    }

    /// <param name="id">The webhook id.</param>
    /// <param name="deliveryId">The delivery id (<c>dlv_…</c>).</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="store">The webhook store.</param>
    /// <param name="dispatcher">Runs the deliveries.</param>
    /// <param name="loggers">Loggers.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Results<Accepted, ProblemHttpResult>> Redeliver(
        string id, string deliveryId, HttpContext httpContext, IWebhookStore store, WebhookDispatcher dispatcher, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (await store.FindAsync(httpContext.User.GetTenant(), id, cancellationToken) is null)
        {
            return NotFound(httpContext, id);
        }

        if (!WebhookMapper.TryParseDeliveryId(deliveryId, out var rowId)
            || await store.FindDeliveryAsync(id, rowId, cancellationToken) is not { } delivery
            || !await store.RequeueAsync(id, rowId, cancellationToken))
        {
            return GatewayProblems.Result(httpContext, StatusCodes.Status404NotFound, ProblemCodes.DeliveryNotFound,
                $"Webhook '{GatewayProblems.Truncate(id)}' has no delivery '{GatewayProblems.Truncate(deliveryId)}'.");
        }

        WebhookLog.Redelivering(loggers.CreateLogger(typeof(WebhooksApi)), id, rowId);
        dispatcher.Ring(id, delivery.SessionId);
        return TypedResults.Accepted((string?)null);
    }

    public static string Location(string id) => $"{BasePath}/{Uri.EscapeDataString(id)}";

    private static ProblemHttpResult NotFound(HttpContext httpContext, string id) =>
        GatewayProblems.Result(httpContext, StatusCodes.Status404NotFound, ProblemCodes.WebhookNotFound,
            $"There is no webhook '{GatewayProblems.Truncate(id)}' for this API key.");
}
