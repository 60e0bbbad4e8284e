namespace Gateway.Xmpp.Protocol;

/// <summary>
/// The <see cref="XmppProtocolException"/>s that reading a stream raises, shared by <see cref="XmppStreamParser"/> and
/// the types it hands the stream's parts to, so that one rule reads the same wherever it is enforced.
/// </summary>
internal static class StreamViolations
{
    public static XmppProtocolException Restricted(string what) =>
        Fail(StreamErrorCondition.RestrictedXml, $"RFC 6120 §11.1 forbids a {what} in an XML stream.");

    public static XmppProtocolException Fail(StreamErrorCondition condition, string message, Exception? inner = null) =>
        new(condition, message, inner);
}
