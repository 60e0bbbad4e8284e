namespace Gateway.Xmpp.Pool;

/// <summary>
/// How far a sent message got. Only moves forward (a later state implies the earlier ones), except that
/// <see cref="Failed"/> can follow any state before <see cref="Delivered"/>.
/// </summary>
public enum DeliveryStatus
{
    /// <summary>Accepted by the gateway and waiting in the session's outbound queue.</summary>
    Queued = 0,

    /// <summary>Written to the XMPP connection.</summary>
    Sent = 1,

    /// <summary>The server confirmed it handled the message (XEP-0198 acknowledgement).</summary>
    Acked = 2,

    /// <summary>The recipient's client confirmed receipt (XEP-0184 receipt or XEP-0333 received marker).</summary>
    Delivered = 3,

    /// <summary>The recipient's client reports it was displayed (XEP-0333).</summary>
    Displayed = 4,

    /// <summary>The server or recipient returned an error, or the session ended before it could be sent.</summary>
    Failed = 5,
}

/// <summary>The delivery state of one message sent through the gateway.</summary>
public sealed record MessageStatus(string MessageId, Jid? To, DeliveryStatus Status, DateTimeOffset QueuedAt, DateTimeOffset UpdatedAt)
{
    /// <summary>The XMPP error condition when <see cref="Status"/> is <see cref="DeliveryStatus.Failed"/>, or a gateway reason.</summary>
    public string? ErrorCondition { get; init; }

    public string? ErrorText { get; init; }
}

/// <summary>A sent message's delivery state changed.</summary>
public sealed record MessageStatusChanged(string Tenant, string SessionId, long EventId, DateTimeOffset ReceivedAt, MessageStatus Status)
    : SessionEvent(Tenant, SessionId, EventId, ReceivedAt);
