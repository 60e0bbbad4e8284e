using Gateway.Api.Contracts;

namespace Gateway.Api.Hubs;

/// <summary>
/// What the hub calls on its clients. Method names are the wire contract (JavaScript: <c>connection.on("OnMessage", …)</c>);
/// each event method receives an <see cref="EventEnvelope{TData}"/> of one session the connection subscribed to. The trailing
/// <see cref="CancellationToken"/> is server-side only (it bounds the send) and never reaches the client.
/// </summary>
public interface IGatewayClient
{
    /// <summary>A message arrived (kind <c>message</c>).</summary>
    Task OnMessage(EventEnvelope<MessageDto> e, CancellationToken cancellationToken);

    /// <summary>A presence stanza arrived (kind <c>presence</c>).</summary>
    Task OnPresence(EventEnvelope<PresenceDto> e, CancellationToken cancellationToken);

    /// <summary>The server pushed a roster change (kind <c>roster-push</c>).</summary>
    Task OnRosterPush(EventEnvelope<RosterItemDto> e, CancellationToken cancellationToken);

    /// <summary>An IQ request awaits an answer through <see cref="GatewayHub.AnswerIq"/> (kind <c>iq-request</c>).</summary>
    Task OnIqRequest(EventEnvelope<IqRequestDto> e, CancellationToken cancellationToken);

    /// <summary>The session changed state (kind <c>session-state</c>).</summary>
    Task OnSessionState(EventEnvelope<SessionStateDto> e, CancellationToken cancellationToken);

    /// <summary>A message sent through the session changed delivery state (kind <c>message-status</c>).</summary>
    Task OnMessageStatus(EventEnvelope<MessageStatusDto> e, CancellationToken cancellationToken);

    /// <summary>The server pushed a blocklist change (kind <c>blocklist-push</c>, XEP-0191).</summary>
    Task OnBlocklistPush(EventEnvelope<BlocklistPushDto> e, CancellationToken cancellationToken);

    /// <summary>A groupchat message from a room the session is in (kind <c>room-message</c>).</summary>
    Task OnRoomMessage(EventEnvelope<MessageDto> e, CancellationToken cancellationToken);

    /// <summary>Another occupant of a room joined, left, changed nick or role (kind <c>room-occupant</c>).</summary>
    Task OnRoomOccupant(EventEnvelope<RoomOccupantEventDto> e, CancellationToken cancellationToken);

    /// <summary>A room's subject (kind <c>room-subject</c>).</summary>
    Task OnRoomSubject(EventEnvelope<RoomSubjectDto> e, CancellationToken cancellationToken);

    /// <summary>The session's place in a room changed (kind <c>room-state</c>).</summary>
    Task OnRoomState(EventEnvelope<RoomStateDto> e, CancellationToken cancellationToken);

    /// <summary>
    /// The gateway ended this connection's subscription to a session (<see cref="SubscriptionEndedDto.Reason"/>, e.g.
    /// <c>slow-consumer</c>). It arrives after every event the subscription delivered, the last being
    /// <see cref="SubscriptionEndedDto.LastEventId"/>: call <c>SubscribeAfter(sessionId, lastEventId)</c> to get the
    /// rest, exactly once and in order.
    /// </summary>
    Task OnSubscriptionEnded(SubscriptionEndedDto e, CancellationToken cancellationToken);
}
