namespace Gateway.Xmpp;

/// <summary>RFC 6121 §5.2.2: message types. Absent on the wire means <see cref="Normal"/>.</summary>
public enum MessageType
{
    Normal,
    Chat,
    Groupchat,
    Headline,
    Error,
}

/// <summary>A message stanza (RFC 6121 §5).</summary>
public sealed record Message : Stanza
{
    public MessageType Type { get; init; } = MessageType.Normal;

    /// <summary>RFC 6121 §5.2.3: the body in the stanza's default language. Bodies in other languages stay in <see cref="Stanza.Payload"/>.</summary>
    public string? Body { get; init; }

    /// <summary>RFC 6121 §5.2.4.</summary>
    public string? Subject { get; init; }

    /// <summary>RFC 6121 §5.2.5: conversation thread identifier.</summary>
    public string? Thread { get; init; }

    /// <summary>RFC 6121 §5.2.5: the parent thread, when the thread was forked.</summary>
    public string? ParentThread { get; init; }

    public override string ElementName => "message";

    public override bool IsError => Type == MessageType.Error;
}

/// <summary>RFC 6121 §4.7.1: presence types. Absent on the wire means <see cref="Available"/>.</summary>
public enum PresenceType
{
    Available,
    Unavailable,
    Subscribe,
    Subscribed,
    Unsubscribe,
    Unsubscribed,
    Probe,
    Error,
}

/// <summary>RFC 6121 §4.7.2.1: availability sub-states. <see cref="None"/> means plain available.</summary>
public enum PresenceShow
{
    None,
    Away,
    Chat,
    Dnd,
    Xa,
}

/// <summary>A presence stanza (RFC 6121 §4).</summary>
public sealed record Presence : Stanza
{
    public PresenceType Type { get; init; } = PresenceType.Available;

    public PresenceShow Show { get; init; } = PresenceShow.None;

    /// <summary>RFC 6121 §4.7.2.2: natural-language availability description.</summary>
    public string? Status { get; init; }

    /// <summary>RFC 6121 §4.7.2.3: -128..127; null when absent (which means 0).</summary>
    public sbyte? Priority { get; init; }

    public override string ElementName => "presence";

    public override bool IsError => Type == PresenceType.Error;
}

/// <summary>RFC 6120 §8.2.3: IQ types.</summary>
public enum IqType
{
    Get,
    Set,
    Result,
    Error,
}

/// <summary>
/// An IQ stanza (RFC 6120 §8.2.3). The request's single child element (the "query") is
/// <see cref="Stanza.Payload"/>[0]; see <see cref="Query"/>.
/// </summary>
public sealed record Iq : Stanza
{
    public IqType Type { get; init; } = IqType.Get;

    /// <summary>The first child element other than the error, if any.</summary>
    public System.Xml.Linq.XElement? Query => Payload.IsDefaultOrEmpty ? null : Payload[0];

    public override string ElementName => "iq";

    public override bool IsError => Type == IqType.Error;

    /// <summary>True for get and set: the types that MUST be answered (RFC 6120 §8.2.3).</summary>
    public bool IsRequest => Type is IqType.Get or IqType.Set;

    /// <summary>An empty <c>result</c> answering this request.</summary>
    public Iq ResultReply(System.Xml.Linq.XElement? payload = null) => new()
    {
        Type = IqType.Result,
        Id = Id,
        To = From,
        Payload = payload is null ? [] : [payload],
    };

    /// <summary>An <c>error</c> answering this request.</summary>
    public Iq ErrorReply(StanzaError error) => new()
    {
        Type = IqType.Error,
        Id = Id,
        To = From,
        Error = error,
    };
}
