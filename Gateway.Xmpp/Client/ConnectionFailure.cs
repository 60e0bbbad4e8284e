using System.Xml.Linq;
using Gateway.Xmpp.Protocol;

namespace Gateway.Xmpp.Client;

/// <summary>Names why a connection failed or ended, the way states and logs report it.</summary>
public static class ConnectionFailure
{
    /// <summary>
    /// The server ended the stream with <c>policy-violation</c> for a reason of its own: a ban after repeated failed
    /// logins (ejabberd's mod_fail2ban), a rate limit. Retried after the long policy-violation delay.
    /// </summary>
    public const string PolicyViolation = "policy-violation";

    /// <summary>
    /// The server ended the stream with <c>policy-violation</c> because a stanza we sent was larger than it accepts
    /// (Prosody's <c>c2s_stanza_size_limit</c>, ejabberd's <c>max_stanza_size</c>). Retried with the ordinary backoff.
    /// </summary>
    public const string OutboundStanzaTooLarge = "outbound-stanza-too-large";

    /// <summary>
    /// The server sent a stanza beyond our own limits (<see cref="XmppClientOptions.MaxStanzaBytes"/>, nesting depth), and
    /// we ended the stream with <c>policy-violation</c>. Retried with the ordinary backoff; raise the limit if it repeats.
    /// </summary>
    public const string InboundStanzaTooLarge = "inbound-stanza-too-large";

    private static readonly XName StanzaTooBig = XName.Get("stanza-too-big", Ns.Errors);

    /// <summary>The reason code (the XMPP condition where there is one) and its text.</summary>
    public static (string Reason, string Text) Describe(XmppException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            SaslFailedException sasl => (sasl.Condition, sasl.Message),
            StreamErrorException stream when IsOutboundTooLarge(stream) => (OutboundStanzaTooLarge, stream.Message),
            StreamErrorException stream => (stream.Condition.ToWire(), stream.Message),
            XmppTlsException tls => ("tls-failed", tls.Message),
            XmppTimeoutException timeout => ("timeout", timeout.Message),
            XmppProtocolException { ExceedsLocalLimit: true } limit => (InboundStanzaTooLarge, limit.Message),
            XmppProtocolException protocol => (protocol.Condition.ToWire(), protocol.Message),
            _ => ("connection-lost", exception.Message),
        };
    }

    /// <summary>
    /// True for a server's <c>policy-violation</c> that is not about a stanza of ours being too large: a ban or a rate
    /// limit, which reconnecting soon would only prolong (and, for a ban on failed logins, extend to every tenant).
    /// </summary>
    public static bool IsServerPolicy(XmppException exception) =>
        exception is StreamErrorException { Condition: StreamErrorCondition.PolicyViolation } stream && !IsOutboundTooLarge(stream);

    // RFC 6120 §4.9.3.14 names one condition for both; Prosody adds <stanza-too-big xmlns='urn:xmpp:errors'/>
    // (§4.9.4), ejabberd only the text "XML stanza is too big".
    private static bool IsOutboundTooLarge(StreamErrorException stream) =>
        stream.Condition == StreamErrorCondition.PolicyViolation
        && (stream.ApplicationCondition == StanzaTooBig
            || (stream.Text is { } text && (text.Contains("too big", StringComparison.OrdinalIgnoreCase) || text.Contains("too large", StringComparison.OrdinalIgnoreCase))));
}
