namespace Gateway.Xmpp;

/// <summary>
/// TLS could not be established safely: the server's certificate was not valid for the domain, the
/// server offered no STARTTLS while TLS is required, or the handshake failed. Not transient: retrying
/// against the same certificate gives the same answer, and silently downgrading is never an option.
/// </summary>
public sealed class XmppTlsException : XmppException
{
    public XmppTlsException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    public override bool IsTransient => false;
}
