namespace Gateway.Xmpp;

/// <summary>
/// The server ended the stream with a stream error (RFC 6120 §4.9). <see cref="Condition"/> says why:
/// <c>conflict</c> (another session took the resource), <c>system-shutdown</c>, <c>see-other-host</c>
/// (with <see cref="OtherHost"/>), <c>not-authorized</c>, and so on.
/// </summary>
public sealed class StreamErrorException : XmppException
{
    public StreamErrorException(StreamErrorCondition condition, string? text, string? otherHost = null)
        : base(FormatMessage(condition, text, otherHost))
    {
        Condition = condition;
        Text = text;
        OtherHost = otherHost;
    }

    public StreamErrorCondition Condition { get; }

    /// <summary>Human-readable text the server attached, if any.</summary>
    public string? Text { get; }

    /// <summary>RFC 6120 §4.9.3.19: where to reconnect, for <c>see-other-host</c>.</summary>
    public string? OtherHost { get; }

    /// <summary>
    /// RFC 6120 §4.9.4: the application-specific condition after the defined one, if any (e.g. Prosody's
    /// <c>{urn:xmpp:errors}stanza-too-big</c> with <c>policy-violation</c>).
    /// </summary>
    public System.Xml.Linq.XName? ApplicationCondition { get; init; }

    /// <summary>
    /// A replaced session (<c>conflict</c>) or a refused login must not be retried blindly: retrying would
    /// kick the other session out in a loop, or hammer the server with bad credentials. <c>policy-violation</c> is
    /// transient: it is how servers announce a temporary ban (ejabberd's mod_fail2ban, for an hour after repeated failed
    /// logins from an address, possibly another tenant's) or a stanza too large, and giving up would let one tenant's
    /// wrong passwords fail every session on that server; the reconnect waits longer instead
    /// (<see cref="Client.ConnectionFailure.IsServerPolicy"/>).
    /// </summary>
    public override bool IsTransient => Condition is not (StreamErrorCondition.Conflict
        or StreamErrorCondition.NotAuthorized
        or StreamErrorCondition.HostUnknown
        or StreamErrorCondition.UnsupportedVersion);

    private static string FormatMessage(StreamErrorCondition condition, string? text, string? otherHost)
    {
        var message = $"The server closed the stream with error '{condition.ToWire()}'";
        if (otherHost is not null)
        {
            message += $" (other host: {otherHost})";
        }

        return text is null ? message + "." : $"{message}: {text}";
    }
}
