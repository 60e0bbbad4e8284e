namespace Gateway.Xmpp;

/// <summary>
/// Our own timeout elapsed (an IQ without reply, a connect or close that took too long). Distinct from
/// <see cref="OperationCanceledException"/>, which means the caller cancelled.
/// </summary>
public sealed class XmppTimeoutException : XmppException
{
    public XmppTimeoutException(string operation, TimeSpan timeout)
        : base($"{operation} timed out after {timeout.TotalSeconds:0.###} s.")
    {
        Operation = operation;
        Timeout = timeout;
    }

    public string Operation { get; }

    public TimeSpan Timeout { get; }

    public override bool IsTransient => true;
}
