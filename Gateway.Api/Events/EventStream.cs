using Gateway.Api.Auth;

namespace Gateway.Api.Events;

/// <summary>One open server-sent event stream: its cursor and the API key that opened it.</summary>
/// <param name="cursor">Where the stream stands in the session's events.</param>
/// <param name="keyId">The opening key's id (<see cref="ApiKeyIdentity.KeyId"/>), to end the stream when it is revoked.</param>
public sealed class EventStream(EventCursor<SseFrame> cursor, string? keyId)
{
    public EventCursor<SseFrame> Cursor { get; } = cursor;

    public string? KeyId { get; } = keyId;
}
