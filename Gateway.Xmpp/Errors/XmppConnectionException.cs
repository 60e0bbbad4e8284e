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

    public override bool IsTransient => true;
}
