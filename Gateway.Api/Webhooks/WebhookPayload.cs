using System.Globalization;
using System.Text.Json;
using Gateway.Api.Contracts;
using Gateway.Xmpp.Pool;

namespace Gateway.Api.Webhooks;

/// <summary>
/// The body of a delivery, in the Standard Webhooks payload shape (spec "Payload structure": <c>type</c>,
/// <c>timestamp</c>, <c>data</c>), with the hub's event envelope as <c>data</c>, so one parser serves SignalR, replay
/// and webhooks. <c>timestamp</c> is when the gateway received the event: the body is byte for byte the same on every
/// retry and redelivery (only the <c>webhook-timestamp</c> header and the signature change).
/// </summary>
/// <param name="Type">The event kind (<see cref="EventKinds"/>), as <c>data.kind</c>.</param>
/// <param name="Timestamp">When the event was received, as <c>data.receivedAt</c>.</param>
/// <param name="Data">The envelope, exactly as the hub sends it.</param>
public sealed record WebhookPayload(string Type, DateTimeOffset Timestamp, EventEnvelope<object> Data)
{
    /// <summary>
    /// The <c>webhook-id</c> of an event: the same for every attempt and redelivery of it, and unique per tenant (a
    /// session id and its event id identify an event), so a receiver deduplicates on it.
    /// </summary>
    public static string MessageId(string sessionId, long eventId) => $"evt_{sessionId}_{eventId.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The UTF-8 JSON body for an event; null for a kind this version does not map.</summary>
    internal static byte[]? Serialize(SessionEvent e, JsonSerializerOptions json) =>
        EventMapper.ToEnvelope(e) is { } envelope
            ? JsonSerializer.SerializeToUtf8Bytes(new WebhookPayload(envelope.Kind, envelope.ReceivedAt, envelope), json)
            : null;

    /// <summary>The kind of an event, as its envelope names it; null for a kind this version does not map.</summary>
    internal static string? KindOf(SessionEvent e) => EventMapper.ToEnvelope(e)?.Kind;
}
