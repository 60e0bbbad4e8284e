namespace Gateway.Xmpp;

/// <summary>The part of a JID (RFC 7622 §3.1) that a <see cref="JidFormatException"/> is about.</summary>
public enum JidPart
{
    /// <summary>The localpart, before the '@'.</summary>
    Local,

    /// <summary>The domainpart, between the '@' and the first '/'.</summary>
    Domain,

    /// <summary>The resourcepart, after the first '/'.</summary>
    Resource,

    /// <summary>The address as a whole (null, empty or far too long).</summary>
    Whole,
}

/// <summary>
/// A string is not a valid XMPP address (RFC 7622). Thrown by <see cref="Jid.Parse(string)"/>,
/// <see cref="Jid.Create"/> and <see cref="Jid.WithResource"/>; the <c>TryParse</c> overloads report the same
/// message instead. The message names the offending part and rule but never repeats the whole address, so it
/// is safe to log.
/// </summary>
public sealed class JidFormatException : XmppException
{
    public JidFormatException(JidPart part, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Part = part;
    }

    /// <summary>Which part of the address broke a rule.</summary>
    public JidPart Part { get; }

    /// <summary>The same string fails the same way every time.</summary>
    public override bool IsTransient => false;
}
