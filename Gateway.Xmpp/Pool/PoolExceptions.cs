namespace Gateway.Xmpp.Pool;

/// <summary>The session's outbound queue is full: back-pressure instead of unbounded memory.</summary>
public sealed class OutboundQueueFullException : XmppException
{
    public OutboundQueueFullException(string sessionId, int capacity, TimeSpan retryAfter)
        : base($"The outbound queue of session '{sessionId}' is full ({capacity} stanzas); retry after {retryAfter.TotalSeconds:0} s or raise Gateway:Pool:OutboundQueueCapacity.")
    {
        RetryAfter = retryAfter;
    }

    private OutboundQueueFullException(string message, TimeSpan retryAfter)
        : base(message)
    {
        RetryAfter = retryAfter;
    }

    public TimeSpan RetryAfter { get; }

    public override bool IsTransient => true;

    /// <summary>The tenant's sessions together hold as many queued and unacknowledged bytes as they may.</summary>
    internal static OutboundQueueFullException TenantBudget(string tenant, long budget, TimeSpan retryAfter) =>
        new($"The sessions of tenant '{tenant}' hold their maximum of {budget} bytes of queued and unacknowledged stanzas; retry after {Math.Max(1, retryAfter.TotalSeconds):0} s or raise Gateway:Pool:MaxQueuedBytesPerTenant.", retryAfter);
}

/// <summary>A stanza to send is larger than a server accepts: refused before it is queued (it would end the stream).</summary>
public sealed class StanzaTooLargeException(int size, int maxBytes)
    : XmppException($"The stanza is {size} bytes of XML; the most a session sends is {maxBytes} (Gateway:Pool:MaxStanzaBytes).")
{
    public int Size { get; } = size;

    public int MaxBytes { get; } = maxBytes;

    public override bool IsTransient => false;
}

/// <summary>The session cannot take this request now: it is stopped or failed, or lacks a needed feature.</summary>
public sealed class SessionUnavailableException : XmppException
{
    public SessionUnavailableException(string sessionId, SessionState state, string message)
        : base(message)
    {
        SessionId = sessionId;
        State = state;
    }

    public string SessionId { get; }

    public SessionState State { get; }

    public override bool IsTransient => State is SessionState.Connecting or SessionState.Reconnecting;
}

/// <summary>A tenant or the pool has as many sessions as it may have.</summary>
public sealed class SessionLimitException(string message) : XmppException(message)
{
    public override bool IsTransient => false;
}

/// <summary>The session's settings are being changed, or it is still being created: one change at a time.</summary>
public sealed class SessionBusyException(string sessionId) : XmppException($"Session '{sessionId}' is being created or changed right now; try again once that has finished.")
{
    public string SessionId { get; } = sessionId;

    public override bool IsTransient => true;
}

/// <summary>The tenant already has a session with the requested id.</summary>
public sealed class SessionConflictException(string sessionId) : XmppException($"A session with id '{sessionId}' already exists.")
{
    public string SessionId { get; } = sessionId;

    public override bool IsTransient => false;
}
