using Gateway.Api.Contracts;

namespace Gateway.Api.OpenApi;

/// <summary>Example values for the room operations (XEP-0045), in the same conversation as <see cref="Examples"/>.</summary>
internal static class RoomExamples
{
    public static readonly JoinRoomRequest Join = new()
    {
        Nick = "alice",
        History = new RoomHistoryRequest { MaxStanzas = 20 },
    };

    public static readonly RoomDto Room = new("dev@conference.example.com", "alice", "joined", "Release planning", "moderator", "owner");

    public static readonly RoomDto[] Rooms =
    [
        Room,
        new("support@conference.example.com", "alice", "rejoining", "Ask us anything", "participant", "member"),
    ];

    public static readonly OccupantDto[] Occupants =
    [
        new("alice", "alice@example.com/gateway", "moderator", "owner"),
        new("bob", "bob@example.com/phone", "participant", "none"),
    ];

    public static readonly PostRoomMessageRequest Message = new() { Body = "The release is out." };

    public static readonly RoomMessageAcceptedDto MessageAccepted = new("cm9vbS1tc2ctMQ");

    public static readonly PutRoomSubjectRequest Subject = new() { Subject = "Release planning" };

    public static readonly PostRoomInvitationRequest Invitation = new() { Jid = "bob@example.com", Reason = "Join us for the release planning" };

    public static readonly PutOccupantRoleRequest Role = new() { Role = "none", Reason = "Off topic" };

    public static readonly PutAffiliationRequest Affiliation = new() { Affiliation = "member", Reason = "Welcome aboard" };
}
