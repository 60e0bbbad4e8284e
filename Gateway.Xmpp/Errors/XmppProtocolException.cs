namespace Gateway.Xmpp;

/// <summary>
/// The peer broke the protocol (malformed or restricted XML, oversize stanza, unexpected element), or we
/// detected such a violation in our own input. Carries the stream error condition we answer with
/// (RFC 6120 §4.9.3) so the session can send it before closing.
/// </summary>
public sealed class XmppProtocolException : XmppException
{
    public XmppProtocolException(StreamErrorCondition condition, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Condition = condition;
    }

    /// <summary>The stream error condition that describes the violation.</summary>
    public StreamErrorCondition Condition { get; }

    /// <summary>
    /// True when the violation is input beyond one of our own limits (<see cref="XmppClientOptions.MaxStanzaBytes"/>, the
    /// nesting depth) rather than malformed input: the remedy is a larger limit, not a different server.
    /// </summary>
    public bool ExceedsLocalLimit { get; init; }

    /// <summary>A reconnect gets a fresh stream, so a protocol fault on one stream does not doom the next.</summary>
    public override bool IsTransient => true;
}
