namespace Gateway.Xmpp;

/// <summary>A stanza written to the stream, with the task that completes when the server acknowledges it (XEP-0198).</summary>
public sealed record SentStanza(Stanza Stanza, Task Acknowledged);
