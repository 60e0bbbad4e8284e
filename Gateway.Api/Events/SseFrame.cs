using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Gateway.Api.Contracts;
using Gateway.Xmpp.Pool;

namespace Gateway.Api.Events;

/// <summary>
/// One event as a server-sent event (WHATWG HTML §9.2.6 "Interpreting an event stream"): <c>id</c>, <c>event</c> and
/// one <c>data</c> line, ended by a blank line. Encoded once per event and shared by every stream of the session.
/// </summary>
/// <param name="Bytes">The UTF-8 text of the whole event, blank line included.</param>
public sealed record SseFrame(byte[] Bytes)
{
    /// <summary>The comment an idle stream gets (§9.2.6: a line starting with a colon is ignored by clients).</summary>
    public static readonly byte[] KeepAlive = ": keep-alive\n\n"u8.ToArray();

    /// <summary>
    /// The event's envelope (<see cref="EventMapper.ToEnvelope(SessionEvent)"/>, the hub's JSON) as a frame; null for an
    /// event kind this version does not know.
    /// </summary>
    public static SseFrame? ForEvent(SessionEvent e, JsonSerializerOptions json) =>
        EventMapper.ToEnvelope(e) is { } envelope ? Create(envelope.EventId, envelope.Kind, envelope, json) : null;

    /// <summary>The final event of a stream the gateway ends; no <c>id</c>, so the client's last event id stays the last event's.</summary>
    public static SseFrame SubscriptionEnded(Hubs.SubscriptionEndedDto ended, JsonSerializerOptions json) =>
        Create(null, SubscriptionEndedKind, ended, json);

    /// <summary>The <c>retry</c> field, sent once at the start of a stream (§9.2.6: the reconnection time in ms).</summary>
    public static byte[] Retry(TimeSpan delay) =>
        Encoding.UTF8.GetBytes($"retry: {((long)delay.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)}\n\n");

    /// <summary>The <c>event</c> name of the final event of a stream the gateway ends.</summary>
    public const string SubscriptionEndedKind = "subscription-ended";

    private static SseFrame Create<T>(long? id, string kind, T data, JsonSerializerOptions json)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        if (id is { } eventId)
        {
            Write(buffer, $"id: {eventId.ToString(CultureInfo.InvariantCulture)}\n");
        }

        Write(buffer, $"event: {kind}\ndata: ");

        // Compact JSON never holds a raw line break (string escapes them), so the payload is exactly one data line.
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = json.Encoder, Indented = false }))
        {
            JsonSerializer.Serialize(writer, data, json);
        }

        Write(buffer, "\n\n");
        return new SseFrame(buffer.WrittenSpan.ToArray());
    }

    private static void Write(ArrayBufferWriter<byte> buffer, string text)
    {
        var span = buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        buffer.Advance(Encoding.UTF8.GetBytes(text, span));
    }
}
