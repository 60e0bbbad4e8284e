using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool.Persistence;
using Microsoft.AspNetCore.DataProtection;

namespace Gateway.Api.Persistence;

/// <summary>
/// Seals a <see cref="StoredRoom"/> (nick, password, the newest message seen) with Data Protection, as
/// <see cref="SessionSpecProtector"/> does a session's spec. Tenant, session and room are sealed inside and checked on
/// the way out, so a blob copied onto another row is refused.
/// </summary>
internal sealed class RoomProtector(IDataProtectionProvider dataProtection)
{
    public const string Purpose = "Gateway.Room.v1";

    private readonly IDataProtector _protector = dataProtection.CreateProtector(Purpose);

    public string Protect(StoredRoom room)
    {
        var stored = new StoredRoomV1(room.Tenant, room.SessionId, room.Room.Bare.ToString(), room.Nick, room.Password, room.LastMessageAt?.UtcTicks, [.. room.RecentStanzaIds]);
        var json = JsonSerializer.SerializeToUtf8Bytes(stored, RoomPersistenceJson.Default.StoredRoomV1);
        try
        {
            return Convert.ToBase64String(_protector.Protect(json));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(json);
        }
    }

    /// <exception cref="CryptographicException">Not protected with this key ring and purpose, or tampered with.</exception>
    /// <exception cref="FormatException">Not a stored room, or one stored for another row.</exception>
    public StoredRoom Unprotect(string tenant, string sessionId, string room, string protectedRoom)
    {
        var json = _protector.Unprotect(Convert.FromBase64String(protectedRoom));
        try
        {
            var stored = JsonSerializer.Deserialize(json, RoomPersistenceJson.Default.StoredRoomV1) ?? throw new FormatException("Empty stored room.");
            if (stored.Tenant != tenant || stored.SessionId != sessionId || stored.Room != room)
            {
                throw new FormatException("The stored room belongs to another row.");
            }

            return new StoredRoom(tenant, sessionId, Jid.Parse(stored.Room), stored.Nick, stored.Password)
            {
                LastMessageAt = stored.LastMessageAtUtcTicks is { } at ? new DateTimeOffset(at, TimeSpan.Zero) : null,
                RecentStanzaIds = [.. stored.RecentStanzaIds ?? []],
            };
        }
        catch (Exception ex) when (ex is JsonException or XmppException)
        {
            throw new FormatException($"The stored room is not readable ({ex.GetType().Name}).", ex);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(json);
        }
    }

    internal sealed record StoredRoomV1(string Tenant, string SessionId, string Room, string Nick, string? Password, long? LastMessageAtUtcTicks, string[]? RecentStanzaIds);
}

[JsonSerializable(typeof(RoomProtector.StoredRoomV1))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, RespectNullableAnnotations = true)]
internal sealed partial class RoomPersistenceJson : JsonSerializerContext;
