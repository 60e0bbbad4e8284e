using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.Xmpp.Muc;

namespace Gateway.Xmpp.Pool.Persistence;

/// <summary>
/// The stored form of the room events other than messages (which are stored as their stanza): small JSON objects with
/// wire names for roles, affiliations, changes and states, so that what is stored never depends on enum order.
/// </summary>
public static class RoomEventCodec
{
    internal static void Encode(SessionEvent sessionEvent, IBufferWriter<byte> utf8)
    {
        switch (sessionEvent)
        {
            case RoomOccupantChanged e:
                utf8.Write(JsonSerializer.SerializeToUtf8Bytes(
                    new OccupantData(e.Room.ToString(), ChangeName(e.Change), e.Occupant.Nick, e.Occupant.RealJid?.ToString(), MucElements.ToWire(e.Occupant.Role), MucElements.ToWire(e.Occupant.Affiliation), [.. e.StatusCodes], e.NewNick, e.Reason),
                    RoomCodecJson.Default.OccupantData));
                break;
            case RoomSubjectChanged e:
                utf8.Write(JsonSerializer.SerializeToUtf8Bytes(new SubjectData(e.Room.ToString(), e.Subject, e.By), RoomCodecJson.Default.SubjectData));
                break;
            case RoomStateChanged e:
                utf8.Write(JsonSerializer.SerializeToUtf8Bytes(new StateData(e.Room.ToString(), StateName(e.State), e.Nick, e.Reason, e.ErrorCondition, [.. e.StatusCodes]), RoomCodecJson.Default.StateData));
                break;
            default:
                throw new ArgumentException($"Not a room event: {sessionEvent.GetType().Name}.", nameof(sessionEvent));
        }
    }

    /// <exception cref="FormatException">Not a stored room event of that kind.</exception>
    internal static SessionEvent Decode(string tenant, string sessionId, long eventId, DateTimeOffset receivedAt, string kind, string data)
    {
        try
        {
            switch (kind)
            {
                case SessionEventCodec.RoomOccupantKind:
                {
                    var o = JsonSerializer.Deserialize(data, RoomCodecJson.Default.OccupantData) ?? throw new FormatException("Empty room occupant event.");
                    var occupant = new RoomOccupant(o.Nick, o.Jid is null ? null : Jid.Parse(o.Jid), Role(o.Role), Affiliation(o.Affiliation));
                    return new RoomOccupantChanged(tenant, sessionId, eventId, receivedAt, Jid.Parse(o.Room), ParseChange(o.Change), occupant, [.. o.StatusCodes ?? []])
                    {
                        NewNick = o.NewNick,
                        Reason = o.Reason,
                    };
                }

                case SessionEventCodec.RoomSubjectKind:
                {
                    var s = JsonSerializer.Deserialize(data, RoomCodecJson.Default.SubjectData) ?? throw new FormatException("Empty room subject event.");
                    return new RoomSubjectChanged(tenant, sessionId, eventId, receivedAt, Jid.Parse(s.Room), s.Subject, s.By);
                }

                case SessionEventCodec.RoomStateKind:
                {
                    var s = JsonSerializer.Deserialize(data, RoomCodecJson.Default.StateData) ?? throw new FormatException("Empty room state event.");
                    return new RoomStateChanged(tenant, sessionId, eventId, receivedAt, Jid.Parse(s.Room), ParseState(s.State), s.Nick)
                    {
                        Reason = s.Reason,
                        ErrorCondition = s.ErrorCondition,
                        StatusCodes = [.. s.StatusCodes ?? []],
                    };
                }

                default:
                    throw new FormatException($"Unknown stored room event kind '{kind}'.");
            }
        }
        catch (Exception ex) when (ex is JsonException or XmppException)
        {
            throw new FormatException($"Stored room event {sessionId}#{eventId} ({kind}) is not readable: {ex.Message}", ex);
        }
    }

    /// <summary>The wire name of a change (events, JSON): never renamed.</summary>
    public static string ChangeName(RoomOccupantChange change) => change switch
    {
        RoomOccupantChange.Joined => "joined",
        RoomOccupantChange.Left => "left",
        RoomOccupantChange.NickChanged => "nick-changed",
        RoomOccupantChange.RoleChanged => "role-changed",
        _ => throw new ArgumentOutOfRangeException(nameof(change), change, null),
    };

    /// <summary>The wire name of a room state (events, JSON): never renamed.</summary>
    public static string StateName(RoomState state) => state switch
    {
        RoomState.Joined => "joined",
        RoomState.Left => "left",
        RoomState.Kicked => "kicked",
        RoomState.Banned => "banned",
        RoomState.Removed => "removed",
        RoomState.Destroyed => "destroyed",
        RoomState.Rejoining => "rejoining",
        RoomState.JoinFailed => "join-failed",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    private static RoomOccupantChange ParseChange(string name) => name switch
    {
        "joined" => RoomOccupantChange.Joined,
        "left" => RoomOccupantChange.Left,
        "nick-changed" => RoomOccupantChange.NickChanged,
        "role-changed" => RoomOccupantChange.RoleChanged,
        _ => throw new FormatException($"Unknown stored occupant change '{name}'."),
    };

    private static RoomState ParseState(string name) => name switch
    {
        "joined" => RoomState.Joined,
        "left" => RoomState.Left,
        "kicked" => RoomState.Kicked,
        "banned" => RoomState.Banned,
        "removed" => RoomState.Removed,
        "destroyed" => RoomState.Destroyed,
        "rejoining" => RoomState.Rejoining,
        "join-failed" => RoomState.JoinFailed,
        _ => throw new FormatException($"Unknown stored room state '{name}'."),
    };

    private static MucRole Role(string name) => MucElements.TryParseRole(name, out var role) ? role : throw new FormatException($"Unknown stored role '{name}'.");

    private static MucAffiliation Affiliation(string name) => MucElements.TryParseAffiliation(name, out var affiliation) ? affiliation : throw new FormatException($"Unknown stored affiliation '{name}'.");

    internal sealed record OccupantData(string Room, string Change, string Nick, string? Jid, string Role, string Affiliation, int[]? StatusCodes, string? NewNick, string? Reason);

    internal sealed record SubjectData(string Room, string Subject, string? By);

    internal sealed record StateData(string Room, string State, string Nick, string? Reason, string? ErrorCondition, int[]? StatusCodes);
}

[JsonSerializable(typeof(RoomEventCodec.OccupantData))]
[JsonSerializable(typeof(RoomEventCodec.SubjectData))]
[JsonSerializable(typeof(RoomEventCodec.StateData))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class RoomCodecJson : JsonSerializerContext;
