namespace Gateway.Xmpp.Transport;

/// <summary>A host and port to try, and whether TLS starts at once (XEP-0368) or through STARTTLS.</summary>
public sealed record XmppEndpoint(string Host, int Port, bool DirectTls);
