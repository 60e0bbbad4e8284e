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
    /// <param name="pendingAcknowledgement">See <see cref="PendingAcknowledgement"/>.</param>
    public XmppConnectionException(string message, Exception? innerException, Task pendingAcknowledgement)
        : base(message, innerException)
    {
        PendingAcknowledgement = pendingAcknowledgement;
    }

    /// <summary>
    /// Set when the connection failed while a stanza was being written under XEP-0198: some or all of its bytes may
    /// have reached the server, so it is kept with the stream's unacknowledged stanzas, and resuming the stream
    /// settles whether it arrived (§5: the server's count), or a new stream sends it again. Completes when the
    /// server acknowledges it. The caller must not send the stanza again itself.
    /// </summary>
    public Task? PendingAcknowledgement { get; }

    public override bool IsTransient => true;
}
