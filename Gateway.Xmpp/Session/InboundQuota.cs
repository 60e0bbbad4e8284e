namespace Gateway.Xmpp;

/// <summary>
/// How fast one connection reads from its server: stanzas and bytes per second, each with a burst of
/// <see cref="Burst"/> worth of it. Beyond it the connection stops reading the socket until the quota refills: TCP flow
/// control then holds the server back, and nothing is dropped (the server queues or, with XEP-0198, keeps it unacknowledged).
/// </summary>
public sealed record InboundQuota
{
    /// <summary>Stanzas (and other top-level elements) per second; 0 for no limit.</summary>
    public int StanzasPerSecond { get; init; }

    /// <summary>Bytes of XML per second; 0 for no limit.</summary>
    public long BytesPerSecond { get; init; }

    /// <summary>How much of a second's quota may arrive at once after a quiet period. Default one second.</summary>
    public TimeSpan Burst { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Whether it limits anything.</summary>
    public bool IsLimited => StanzasPerSecond > 0 || BytesPerSecond > 0;
}
