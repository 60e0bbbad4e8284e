namespace Gateway.Xmpp.Client;

/// <summary>Names why a connection failed or ended, the way states and logs report it.</summary>
public static class ConnectionFailure
{
    /// <summary>The reason code (the XMPP condition where there is one) and its text.</summary>
    public static (string Reason, string Text) Describe(XmppException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            SaslFailedException sasl => (sasl.Condition, sasl.Message),
            StreamErrorException stream => (stream.Condition.ToWire(), stream.Message),
            XmppTlsException tls => ("tls-failed", tls.Message),
            XmppTimeoutException timeout => ("timeout", timeout.Message),
            XmppProtocolException protocol => (protocol.Condition.ToWire(), protocol.Message),
            _ => ("connection-lost", exception.Message),
        };
    }
}
