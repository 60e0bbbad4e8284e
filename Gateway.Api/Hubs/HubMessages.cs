using Gateway.Api.Contracts;
using Gateway.Xmpp.Pool;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace Gateway.Api.Hubs;

/// <summary>
/// The hub messages the dispatcher writes, built once and shared: a <see cref="SerializedHubMessage"/> serialises its
/// message once per protocol (thread-safe, cached), so one event costs one serialisation however many connections get
/// it. Targets are <see cref="IGatewayClient"/>'s method names, the wire contract.
/// </summary>
internal static class HubMessages
{
    /// <summary>The invocation that delivers the event; null for an event kind this version does not know.</summary>
    public static SerializedHubMessage? ForEvent(SessionEvent e) => e switch
    {
        MessageReceived m => Invocation(nameof(IGatewayClient.OnMessage), EventMapper.ToEnvelope(m)),
        PresenceReceived p => Invocation(nameof(IGatewayClient.OnPresence), EventMapper.ToEnvelope(p)),
        RosterPushed r => Invocation(nameof(IGatewayClient.OnRosterPush), EventMapper.ToEnvelope(r)),
        IqRequestReceived q => Invocation(nameof(IGatewayClient.OnIqRequest), EventMapper.ToEnvelope(q)),
        SessionStateChanged s => Invocation(nameof(IGatewayClient.OnSessionState), EventMapper.ToEnvelope(s)),
        MessageStatusChanged ms => Invocation(nameof(IGatewayClient.OnMessageStatus), EventMapper.ToEnvelope(ms)),
        BlocklistChanged b => Invocation(nameof(IGatewayClient.OnBlocklistPush), EventMapper.ToEnvelope(b)),
        RoomMessageReceived rm => Invocation(nameof(IGatewayClient.OnRoomMessage), EventMapper.ToEnvelope(rm)),
        RoomOccupantChanged ro => Invocation(nameof(IGatewayClient.OnRoomOccupant), EventMapper.ToEnvelope(ro)),
        RoomSubjectChanged rs => Invocation(nameof(IGatewayClient.OnRoomSubject), EventMapper.ToEnvelope(rs)),
        RoomStateChanged rst => Invocation(nameof(IGatewayClient.OnRoomState), EventMapper.ToEnvelope(rst)),
        _ => null,
    };

    public static SerializedHubMessage SubscriptionEnded(SubscriptionEndedDto ended) =>
        Invocation(nameof(IGatewayClient.OnSubscriptionEnded), ended);

    // No invocation id: the client does not answer (as with IHubContext's SendAsync).
    private static SerializedHubMessage Invocation(string target, object argument) => new(new InvocationMessage(target, [argument]));
}
