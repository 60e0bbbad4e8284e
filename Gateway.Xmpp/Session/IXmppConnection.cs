using System.Threading.Channels;

namespace Gateway.Xmpp;

/// <summary>
/// One live XMPP stream, as the parts that run on it see it (<see cref="XmppClient"/> implements it). Parts take this
/// interface rather than the client so they can be tested without a socket.
/// </summary>
public interface IXmppConnection : IStanzaSender
{
    /// <summary>True until the stream has ended.</summary>
    bool IsConnected { get; }

    /// <summary>True when this connection resumed an earlier stream (XEP-0198 §5) rather than binding a new session.</summary>
    bool Resumed { get; }

    /// <summary>Whether the server enabled XEP-0198 stream management on this stream.</summary>
    bool IsStreamManagementEnabled { get; }

    /// <summary>Completes when the stream has ended: with null after a close we asked for, else with the reason.</summary>
    Task<XmppException?> Terminated { get; }

    /// <summary>Messages, presence and roster pushes in arrival order. Completes when the stream ends.</summary>
    ChannelReader<Stanza> Incoming { get; }

    /// <summary>
    /// With <see cref="XmppClientOptions.AcknowledgeIncomingManually"/>: the consumer is done with the next
    /// <paramref name="count"/> stanzas it read from <see cref="Incoming"/>, so XEP-0198 may count them as handled.
    /// </summary>
    void AcknowledgeIncoming(int count);

    /// <summary>
    /// Writes the stanzas in order in one write. Under XEP-0198 each gets the task that completes when the server
    /// acknowledges it; without it the list is empty.
    /// </summary>
    /// <exception cref="XmppConnectionException">The stream ended; when <see cref="XmppConnectionException.PendingAcknowledgements"/>
    /// is set the stanzas were counted as sent and travel with the stream's unacknowledged ones: never send them again.</exception>
    /// <exception cref="ArgumentException">A stanza holds characters XML cannot carry; nothing was written.</exception>
    Task<IReadOnlyList<Task>> SendBatchAsync(IReadOnlyList<Stanza> stanzas, bool requestAcknowledgement, CancellationToken cancellationToken = default);

    /// <summary>Asks the server to acknowledge what it was sent (XEP-0198 §4) unless a request is already out.</summary>
    Task RequestAcknowledgementAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Takes messages before they reach <see cref="Incoming"/>, on the reader and in stream order. Any number of
    /// filters; the first that returns true takes the message. Dispose the result to remove the filter.
    /// </summary>
    IDisposable AddMessageFilter(Func<Message, bool> filter);

    /// <summary>Handles IQ get/set requests no payload-specific handler takes (instead of answering <c>service-unavailable</c>).</summary>
    void SetFallbackIqHandler(IqRequestHandler? handler);

    /// <summary>
    /// Answers IQ get/set requests whose payload has this qualified name (RFC 6120 §8.2.3), ahead of the fallback
    /// handler; the handler checks the requester itself. <see cref="XmppClient"/> implements it.
    /// </summary>
    void SetIqHandler(System.Xml.Linq.XName payloadName, IqRequestHandler handler, string? discoFeature = null) =>
        throw new NotSupportedException("This connection takes no payload-specific IQ handlers.");

    /// <summary>Stops answering a payload; symmetric to <see cref="SetIqHandler"/>.</summary>
    void RemoveIqHandler(System.Xml.Linq.XName payloadName, string? discoFeature = null)
    {
    }

    /// <summary>Announces a feature in XEP-0030 disco#info that needs no IQ handler (e.g. XEP-0184 receipts).</summary>
    void AddDiscoFeature(string feature);

    /// <summary>The qualified names of the stream features the server offered after authentication.</summary>
    IReadOnlySet<System.Xml.Linq.XName> Features => System.Collections.Immutable.ImmutableHashSet<System.Xml.Linq.XName>.Empty;

    /// <summary>
    /// The roster as the session knows it, when the server did not send it on this stream (a versioned roster that had
    /// not changed, RFC 6121 §2.6.3): who may see our presence (<see cref="MaySeePresence"/>).
    /// </summary>
    void UseRoster(IEnumerable<RosterItem> items)
    {
    }

    /// <summary>
    /// Whether <paramref name="entity"/> may learn that this resource is online, e.g. from a delivery receipt
    /// (<see cref="XmppClientOptions.RespondTo"/>); null stands for the account's own server.
    /// </summary>
    bool MaySeePresence(Jid? entity) => true;

    /// <summary>Drops the connection without closing the stream, as a network failure would.</summary>
    void Abort();
}
