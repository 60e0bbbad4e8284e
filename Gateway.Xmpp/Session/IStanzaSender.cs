namespace Gateway.Xmpp;

/// <summary>Anything that can send stanzas and IQ requests: a connection, a reconnecting client, a pooled session.</summary>
public interface IStanzaSender
{
    /// <summary>The account's JID (full when bound).</summary>
    Jid Jid { get; }

    Task SendAsync(Stanza stanza, CancellationToken cancellationToken = default);

    Task<Iq> SendIqAsync(Iq request, TimeSpan? timeout = null, CancellationToken cancellationToken = default);
}
