namespace Gateway.Xmpp;

/// <summary>
/// Whom a client answers the requests that reveal it is online: XEP-0030 disco#info, XEP-0092 version, XEP-0199
/// ping, and XEP-0184 delivery receipts.
/// </summary>
public enum RespondTo
{
    /// <summary>
    /// The account's own server and resources, and contacts with a presence subscription ('from' or 'both'): those who
    /// see the account's presence anyway. Others get <c>service-unavailable</c>, as if no resource were online
    /// (RFC 6121 §8.5.3.1), and no receipt. The default.
    /// </summary>
    Subscribed,

    /// <summary>Every entity that asks, stranger or not.</summary>
    Anyone,
}
