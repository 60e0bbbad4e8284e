namespace Gateway.Xmpp;

/// <summary>
/// Base of every error the library raises. <see cref="IsTransient"/> tells a caller (or the connection
/// manager) whether the same operation may succeed if retried later: a dropped socket is transient,
/// wrong credentials are not.
/// </summary>
public abstract class XmppException : Exception
{
    protected XmppException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    /// <summary>True when retrying later can succeed without the caller changing anything.</summary>
    public abstract bool IsTransient { get; }
}
