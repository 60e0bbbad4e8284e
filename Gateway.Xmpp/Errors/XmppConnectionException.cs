namespace Gateway.Xmpp;

/// <summary>
/// The transport failed: DNS gave no usable address, the TCP connection was refused or dropped, or the
/// stream ended unexpectedly. Always transient: the same call may succeed once the network recovers.
/// </summary>
public sealed class XmppConnectionException : XmppException
{
    public XmppConnectionException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    /// <param name="message">What failed.</param>
    /// <param name="innerException">The transport's error.</param>
    /// <param name="pendingAcknowledgements">See <see cref="PendingAcknowledgements"/>.</param>
    public XmppConnectionException(string message, Exception? innerException, IReadOnlyList<Task> pendingAcknowledgements)
        : base(message, innerException)
    {
        ArgumentNullException.ThrowIfNull(pendingAcknowledgements);
        PendingAcknowledgements = pendingAcknowledgements;
    }

    /// <summary>
    /// Set when the connection failed while stanzas were being written under XEP-0198: some or all of their bytes may
    /// have reached the server, so they are kept with the stream's unacknowledged stanzas, and resuming the stream
    /// settles whether they arrived (§5: the server's count), or a new stream sends them again. One task per stanza, in
    /// the order given; each completes when the server acknowledges its stanza. The caller must not send them again itself.
    /// </summary>
    public IReadOnlyList<Task>? PendingAcknowledgements { get; }

    /// <summary>The single stanza's <see cref="PendingAcknowledgements"/> (for one-stanza sends), or null.</summary>
    public Task? PendingAcknowledgement => PendingAcknowledgements is [var only] ? only : null;

    public override bool IsTransient => true;
}
