using System.Text.Json.Serialization;

namespace Gateway.Api.Webhooks;

/// <summary>Registers a webhook: where to POST, and which events of which sessions.</summary>
public sealed class CreateWebhookRequest
{
    /// <summary>Absolute <c>https://</c> URL (plain <c>http://</c> only where the gateway allows it), without user info; at most 2048 characters.</summary>
    public required string Url { get; init; }

    /// <summary>Event kinds to deliver (<c>message</c>, <c>presence</c>, …, see the event envelope); null for all.</summary>
    public string[]? Events { get; init; }

    /// <summary>Session ids to deliver events of; null for all of the tenant's sessions, present and future.</summary>
    public string[]? Sessions { get; init; }

    /// <summary>Free text for people, at most 256 characters.</summary>
    public string? Description { get; init; }
}

/// <summary>Changes a webhook: only the fields present change (null for events or sessions means all).</summary>
public sealed class UpdateWebhookRequest
{
    private readonly string? _url;
    private readonly string[]? _events;
    private readonly string[]? _sessions;
    private readonly string? _description;

    /// <summary>New URL; same rules as on create.</summary>
    public string? Url { get => _url; init { _url = value; HasUrl = true; } }

    /// <summary>New event kinds; null for all.</summary>
    public string[]? Events { get => _events; init { _events = value; HasEvents = true; } }

    /// <summary>New sessions; null for all.</summary>
    public string[]? Sessions { get => _sessions; init { _sessions = value; HasSessions = true; } }

    /// <summary>New description; null removes it.</summary>
    public string? Description { get => _description; init { _description = value; HasDescription = true; } }

    /// <summary>False pauses deliveries (events keep being journaled; they are delivered once enabled again, as far as retention keeps them).</summary>
    public bool? Enabled { get; init; }

    [JsonIgnore]
    public bool HasUrl { get; private init; }

    [JsonIgnore]
    public bool HasEvents { get; private init; }

    [JsonIgnore]
    public bool HasSessions { get; private init; }

    [JsonIgnore]
    public bool HasDescription { get; private init; }
}

/// <summary>A registered webhook. The secret is only ever shown by create and rotate-secret.</summary>
/// <param name="Id">The webhook's id.</param>
/// <param name="Url">Where deliveries are POSTed.</param>
/// <param name="Events">Event kinds delivered; null for all.</param>
/// <param name="Sessions">Sessions whose events are delivered; null for all.</param>
/// <param name="Description">Free text.</param>
/// <param name="Enabled">Whether deliveries run.</param>
/// <param name="CreatedAt">When it was registered; events received before are not delivered.</param>
public sealed record WebhookDto(string Id, string Url, string[]? Events, string[]? Sessions, string? Description, bool Enabled, DateTimeOffset CreatedAt);

/// <summary>A webhook just registered, with its signing secret: store it now, it is not shown again.</summary>
/// <param name="Id">The webhook's id.</param>
/// <param name="Url">Where deliveries are POSTed.</param>
/// <param name="Events">Event kinds delivered; null for all.</param>
/// <param name="Sessions">Sessions whose events are delivered; null for all.</param>
/// <param name="Description">Free text.</param>
/// <param name="Enabled">Whether deliveries run.</param>
/// <param name="CreatedAt">When it was registered.</param>
/// <param name="Secret">Standard Webhooks signing secret: <c>whsec_</c> + base64 of 32 random bytes (the HMAC-SHA256 key).</param>
public sealed record CreatedWebhookDto(string Id, string Url, string[]? Events, string[]? Sessions, string? Description, bool Enabled, DateTimeOffset CreatedAt, string Secret);

/// <summary>The tenant's webhooks, oldest first.</summary>
/// <param name="Items">The webhooks.</param>
public sealed record WebhookListDto(IReadOnlyList<WebhookDto> Items);

/// <summary>A new signing secret.</summary>
/// <param name="Secret"><c>whsec_</c> + base64 of 32 random bytes. The previous secret keeps signing too (a second signature) for <c>Gateway:Webhooks:SecretRotationGracePeriod</c>.</param>
public sealed record WebhookSecretDto(string Secret);

/// <summary>One event's delivery to a webhook.</summary>
/// <param name="Id">The delivery's id (for redeliver).</param>
/// <param name="EventId">The event id in the session (the envelope's eventId).</param>
/// <param name="SessionId">The session.</param>
/// <param name="Kind">The event kind.</param>
/// <param name="Status">pending (queued), delivered, failed (retry due at nextAttemptAt) or dead (gave up).</param>
/// <param name="Attempts">Attempts since it was (re)queued.</param>
/// <param name="CreatedAt">When it was queued.</param>
/// <param name="LastAttemptAt">When the last attempt ended.</param>
/// <param name="NextAttemptAt">When the next attempt is due, while one is.</param>
/// <param name="LastStatusCode">HTTP status of the last attempt, when the receiver answered.</param>
/// <param name="LastError">Why the last attempt failed.</param>
public sealed record WebhookDeliveryDto(
    string Id,
    long EventId,
    string SessionId,
    string Kind,
    string Status,
    int Attempts,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastAttemptAt,
    DateTimeOffset? NextAttemptAt,
    int? LastStatusCode,
    string? LastError);

/// <summary>Deliveries of a webhook, newest first.</summary>
/// <param name="Items">The deliveries.</param>
public sealed record WebhookDeliveryListDto(IReadOnlyList<WebhookDeliveryDto> Items);
