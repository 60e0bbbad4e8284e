using Gateway.Xmpp.Pool;

namespace Gateway.Api.Contracts;

/// <summary>
/// One event of a pooled session as JSON. The same envelope travels over the SignalR hub, in webhooks and in
/// replay, so a client can handle all three with one parser: dispatch on <see cref="Kind"/>, read <see cref="Data"/>.
/// <see cref="EventId"/> increases by one per event and per session: a gap means missed events, a repeat is a
/// duplicate to drop. (<see cref="SessionId"/>, <see cref="EventId"/>) identifies an event within a tenant.
/// </summary>
/// <typeparam name="TData">
/// <see cref="MessageDto"/>, <see cref="PresenceDto"/>, <see cref="RosterItemDto"/>, <see cref="IqRequestDto"/> or
/// <see cref="SessionStateDto"/>, <see cref="MessageStatusDto"/>, <see cref="BlocklistPushDto"/>, <see cref="RoomOccupantEventDto"/>, <see cref="RoomSubjectDto"/> or <see cref="RoomStateDto"/>, as <see cref="Kind"/> says; <see cref="object"/> for a stream of mixed kinds.
/// </typeparam>
/// <param name="EventId">Per-session sequence number, starting at 1.</param>
/// <param name="SessionId">The session the event belongs to.</param>
/// <param name="Kind">What <see cref="Data"/> holds: one of <see cref="EventKinds"/>.</param>
/// <param name="ReceivedAt">When the gateway received or produced the event.</param>
/// <param name="Data">The payload; its shape depends on <see cref="Kind"/>.</param>
public sealed record EventEnvelope<TData>(long EventId, string SessionId, string Kind, DateTimeOffset ReceivedAt, TData Data);

/// <summary>The values of <see cref="EventEnvelope{TData}.Kind"/>. Names are a contract: never rename one.</summary>
public static class EventKinds
{
    /// <summary>A message arrived; data is a <see cref="MessageDto"/>.</summary>
    public const string Message = "message";

    /// <summary>A presence stanza arrived; data is a <see cref="PresenceDto"/>.</summary>
    public const string Presence = "presence";

    /// <summary>The server pushed a roster change (already acknowledged); data is a <see cref="RosterItemDto"/>.</summary>
    public const string RosterPush = "roster-push";

    /// <summary>An IQ get/set awaits an answer from the API client; data is an <see cref="IqRequestDto"/>.</summary>
    public const string IqRequest = "iq-request";

    /// <summary>The session changed state; data is a <see cref="SessionStateDto"/>.</summary>
    public const string SessionState = "session-state";

    /// <summary>A message sent through the gateway changed delivery state; data is a <see cref="MessageStatusDto"/>.</summary>
    public const string MessageStatus = "message-status";

    /// <summary>The server pushed a blocklist change (XEP-0191); data is a <see cref="BlocklistPushDto"/>.</summary>
    public const string BlocklistPush = "blocklist-push";

    /// <summary>A groupchat message from a room the session is in (XEP-0045 §7.4); data is a <see cref="MessageDto"/>.</summary>
    public const string RoomMessage = "room-message";

    /// <summary>Another occupant of a room joined, left, changed nick or role; data is a <see cref="RoomOccupantEventDto"/>.</summary>
    public const string RoomOccupant = "room-occupant";

    /// <summary>A room's subject; data is a <see cref="RoomSubjectDto"/>.</summary>
    public const string RoomSubject = "room-subject";

    /// <summary>The session's place in a room changed (joined, left, kicked, …); data is a <see cref="RoomStateDto"/>.</summary>
    public const string RoomState = "room-state";
}

/// <summary>The delivery state of a message sent through the gateway.</summary>
/// <param name="MessageId">The stanza id of the message (the id the send returned).</param>
/// <param name="To">The recipient JID, when known.</param>
/// <param name="Status">
/// queued, sent, acked (the server confirmed it, XEP-0198), delivered (the recipient's client confirmed receipt),
/// displayed or failed. Only moves forward; failed can follow any state before delivered.
/// </param>
/// <param name="QueuedAt">When the gateway accepted the message.</param>
/// <param name="UpdatedAt">When the status last changed.</param>
/// <param name="ErrorCondition">When failed: the XMPP error condition, or a gateway reason.</param>
/// <param name="ErrorText">When failed: human-readable detail, if any.</param>
public sealed record MessageStatusDto(
    string MessageId, string? To, string Status, DateTimeOffset QueuedAt, DateTimeOffset UpdatedAt, string? ErrorCondition, string? ErrorText);

/// <summary>An IQ get/set the gateway does not answer itself.</summary>
/// <param name="Iq">The request, with <c>from</c>, <c>id</c> and the query payload to answer.</param>
/// <param name="AnswerBy">Answer before this instant; after it the gateway answers <c>service-unavailable</c> itself.</param>
public sealed record IqRequestDto(IqDto Iq, DateTimeOffset AnswerBy);

/// <summary>A session state change.</summary>
/// <param name="State">connecting, online, reconnecting, stopped or failed.</param>
/// <param name="Reason">
/// Why the session is reconnecting or failed: an XMPP condition (<c>not-authorized</c>, <c>conflict</c>,
/// <c>host-unknown</c>) or <c>connection-lost</c>, <c>tls-failed</c>, <c>timeout</c>; null when online.
/// </param>
/// <param name="ReasonText">Human-readable detail for <paramref name="Reason"/>.</param>
public sealed record SessionStateDto(string State, string? Reason, string? ReasonText);

/// <summary>Maps pool events to their envelopes. One place, used by the hub, webhooks and replay alike.</summary>
public static class EventMapper
{
    public static EventEnvelope<MessageDto> ToEnvelope(MessageReceived e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new(e.EventId, e.SessionId, EventKinds.Message, e.ReceivedAt, StanzaMapper.ToDto(e.Message) with { Carbon = StanzaMapper.CarbonWireName(e.Carbon), StanzaId = e.ArchiveId });
    }

    public static EventEnvelope<PresenceDto> ToEnvelope(PresenceReceived e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new(e.EventId, e.SessionId, EventKinds.Presence, e.ReceivedAt, StanzaMapper.ToDto(e.Presence));
    }

    public static EventEnvelope<RosterItemDto> ToEnvelope(RosterPushed e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new(e.EventId, e.SessionId, EventKinds.RosterPush, e.ReceivedAt, StanzaMapper.ToDto(e.Item));
    }

    public static EventEnvelope<IqRequestDto> ToEnvelope(IqRequestReceived e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new(e.EventId, e.SessionId, EventKinds.IqRequest, e.ReceivedAt, new IqRequestDto(StanzaMapper.ToDto(e.Request), e.AnswerBy));
    }

    public static EventEnvelope<SessionStateDto> ToEnvelope(SessionStateChanged e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new(e.EventId, e.SessionId, EventKinds.SessionState, e.ReceivedAt, new SessionStateDto(SessionMapper.StateName(e.State), e.Reason, e.ReasonText));
    }

    public static EventEnvelope<MessageStatusDto> ToEnvelope(MessageStatusChanged e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new(e.EventId, e.SessionId, EventKinds.MessageStatus, e.ReceivedAt, ToDto(e.Status));
    }

    public static EventEnvelope<BlocklistPushDto> ToEnvelope(BlocklistChanged e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new(e.EventId, e.SessionId, EventKinds.BlocklistPush, e.ReceivedAt, AccountMapper.ToDto(e));
    }

    public static EventEnvelope<MessageDto> ToEnvelope(RoomMessageReceived e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new(e.EventId, e.SessionId, EventKinds.RoomMessage, e.ReceivedAt, StanzaMapper.ToDto(e.Message));
    }

    public static EventEnvelope<RoomOccupantEventDto> ToEnvelope(RoomOccupantChanged e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new(e.EventId, e.SessionId, EventKinds.RoomOccupant, e.ReceivedAt, RoomMapper.ToDto(e));
    }

    public static EventEnvelope<RoomSubjectDto> ToEnvelope(RoomSubjectChanged e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new(e.EventId, e.SessionId, EventKinds.RoomSubject, e.ReceivedAt, RoomMapper.ToDto(e));
    }

    public static EventEnvelope<RoomStateDto> ToEnvelope(RoomStateChanged e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new(e.EventId, e.SessionId, EventKinds.RoomState, e.ReceivedAt, RoomMapper.ToDto(e));
    }

    /// <summary>A message's delivery state as JSON (REST and events alike).</summary>
    public static MessageStatusDto ToDto(MessageStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        return new(status.MessageId, status.To?.ToString(), StatusName(status.Status), status.QueuedAt, status.UpdatedAt, status.ErrorCondition, status.ErrorText);
    }

    /// <summary>The JSON name of a delivery status.</summary>
    public static string StatusName(DeliveryStatus status) => status switch
    {
        DeliveryStatus.Queued => "queued",
        DeliveryStatus.Sent => "sent",
        DeliveryStatus.Acked => "acked",
        DeliveryStatus.Delivered => "delivered",
        DeliveryStatus.Displayed => "displayed",
        DeliveryStatus.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    /// <summary>
    /// Any event, with the payload typed as <see cref="object"/>: for streams of mixed kinds (webhooks, replay).
    /// System.Text.Json writes an <see cref="object"/> by its runtime type, so the JSON equals the typed envelope's.
    /// Null for an event kind this version does not know (skip it rather than fail the stream).
    /// </summary>
    public static EventEnvelope<object>? ToEnvelope(SessionEvent e) => e switch
    {
        MessageReceived m => Untyped(ToEnvelope(m)),
        PresenceReceived p => Untyped(ToEnvelope(p)),
        RosterPushed r => Untyped(ToEnvelope(r)),
        IqRequestReceived q => Untyped(ToEnvelope(q)),
        SessionStateChanged s => Untyped(ToEnvelope(s)),
        MessageStatusChanged ms => Untyped(ToEnvelope(ms)),
        BlocklistChanged b => Untyped(ToEnvelope(b)),
        RoomMessageReceived rm => Untyped(ToEnvelope(rm)),
        RoomOccupantChanged ro => Untyped(ToEnvelope(ro)),
        RoomSubjectChanged rs => Untyped(ToEnvelope(rs)),
        RoomStateChanged rst => Untyped(ToEnvelope(rst)),
        null => throw new ArgumentNullException(nameof(e)),
        _ => null,
    };

    private static EventEnvelope<object> Untyped<T>(EventEnvelope<T> e)
        where T : notnull =>
        new(e.EventId, e.SessionId, e.Kind, e.ReceivedAt, e.Data);
}
