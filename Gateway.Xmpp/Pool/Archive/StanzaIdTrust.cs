// XEP-0359: Unique and Stable Stanza IDs (v0.7.0) https://xmpp.org/extensions/xep-0359.html
using System.Xml.Linq;
using Gateway.Xmpp.Client;
using Gateway.Xmpp.Diagnostics;
using Gateway.Xmpp.Protocol;
using Gateway.Xmpp.Session;
using Microsoft.Extensions.Logging;

namespace Gateway.Xmpp.Pool;

/// <summary>
/// Whether a session may believe the stanza-ids stamped 'by' its account (its archive ids). Anyone can put a
/// &lt;stanza-id by='our bare JID'/&gt; into a message; only a server that implements XEP-0359 replaces such an element
/// with its own (§3, "MUST ... override"), and it announces so with <c>urn:xmpp:sid:0</c> in the disco#info of the
/// account's bare JID (§4, Discovering support). Without that announcement a sender could choose our archive ids:
/// make us drop real messages as repeats, or move the archive cursor. So the session asks on its first stream, and
/// until the answer says yes, messages count as carrying no archive id.
/// <para>
/// The question is the dearest step of a login for the server (Prosody builds the account's PEP service to answer it;
/// see docs/benchmarks.md "Login cost per step"), and most sessions of a large pool receive nothing for a long time.
/// So a stream asks only when the first message that claims an archive id of ours arrives
/// (<see cref="QuestionFor"/>), not at connect; that message waits for the answer (briefly, see
/// <see cref="DefaultAnswerWait"/>), so no message is judged before the stream has asked. The answer comes on the same
/// stream behind everything the server sent before it, so the wait must not stop the stream from being read: the
/// inbound pipeline goes on taking stanzas off the connection's bounded queue while it waits (see
/// <see cref="InboundPipeline"/>). When a stream ended before its answer, the next stream asks at connect instead (the
/// answer is owed to messages already), so a session whose streams are cut sooner than the server answers still learns. A later new stream (one that
/// could not resume) asks again only when the server offers other stream features than on the stream that answered,
/// or no answer was had: the same server with the same offer announces the same for the same account, so a reconnect
/// storm after a server restart asks nothing it already knows.
/// </para>
/// </summary>
internal sealed class StanzaIdTrust : IConnectionFeature
{
    private readonly ILogger _logger;
    private readonly string _tenant;
    private readonly string _sessionId;
    private readonly TimeSpan _iqTimeout;
    private readonly TimeSpan _answerWait;
    private volatile bool _trusted;
    private int _generation;

    /// <summary>The post-authentication stream features of the stream whose disco#info result set <see cref="_trusted"/>; null until one did.</summary>
    private IReadOnlySet<XName>? _answeredWith;

    /// <summary>The current stream, while it has yet to ask; taken by the first message that needs the answer.</summary>
    private Unasked? _unasked;

    /// <summary>A question the current stream asked at connect (see <see cref="_owed"/>), until a message takes it to wait on.</summary>
    private Question? _askedAtConnect;

    /// <summary>
    /// A message needed the answer and no stream has had it (the stream ended first): the next stream asks at once, not
    /// at its first message, so that streams cut sooner after coming online than the server answers do not leave the
    /// session untrusted for good (live messages then lose their archive ids, and every catch-up starts far back).
    /// </summary>
    private volatile bool _owed;

    /// <summary>How long the message that made a stream ask waits for the server's answer before it goes on without it.</summary>
    internal static readonly TimeSpan DefaultAnswerWait = TimeSpan.FromSeconds(2);

    /// <param name="account">The account whose stanza-ids are archive ids.</param>
    /// <param name="iqTimeout">How long the disco#info query may take.</param>
    /// <param name="logger">Where the answer is logged.</param>
    /// <param name="tenant">The session's tenant, for the log.</param>
    /// <param name="sessionId">The session's id, for the log.</param>
    /// <param name="answerWait">How long the first message that needs the answer waits for it (<see cref="DefaultAnswerWait"/>).</param>
    /// <param name="trustedBefore">
    /// What an earlier process learned (a restored session whose journal holds an archive cursor had its stanza-ids
    /// trusted): it stands until this process hears the server's answer, so the redelivery right after a restart is
    /// deduplicated even when that answer is slow.
    /// </param>
    public StanzaIdTrust(Jid account, TimeSpan iqTimeout, ILogger logger, string tenant, string sessionId, TimeSpan? answerWait = null, bool trustedBefore = false)
    {
        Account = account.Bare;
        _trusted = trustedBefore;
        _iqTimeout = iqTimeout;
        _answerWait = answerWait ?? DefaultAnswerWait;
        _logger = logger;
        _tenant = tenant;
        _sessionId = sessionId;
    }

    private StanzaIdTrust(Jid account)
        : this(account, TimeSpan.FromSeconds(1), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, "", "") => _trusted = true;

    /// <summary>The account whose stanza-ids are archive ids.</summary>
    public Jid Account { get; }

    /// <summary>Whether the server announced <c>urn:xmpp:sid:0</c> for the account on the current stream.</summary>
    public bool Trusted => _trusted;

    /// <summary>Trusts the account's stanza-ids without asking: for parts whose caller has checked already (and tests).</summary>
    public static StanzaIdTrust Assumed(Jid account) => new(account);

    /// <summary>
    /// The message's archive id (its stanza-id by the account), or null when it has none or none can be trusted, as
    /// known now: without asking the server (see <see cref="ArchiveIdOfAsync"/>).
    /// </summary>
    public string? ArchiveIdOf(Message message) => _trusted ? ReceiptElements.FindStanzaId(message, Account) : null;

    /// <summary>
    /// The message's archive id, or null when it has none or none can be trusted; when the message makes the stream ask
    /// (<see cref="QuestionFor"/>), after waiting for the answer, at most the answer wait. Only for callers that nothing on
    /// the stream's reading side waits for: the inbound pipeline uses <see cref="QuestionFor"/> and keeps reading.
    /// </summary>
    public async ValueTask<string?> ArchiveIdOfAsync(Message message, CancellationToken cancellationToken)
    {
        if (QuestionFor(message, cancellationToken) is { } question)
        {
            try
            {
                await question.Answered.WaitAsync(_answerWait, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                question.WentOnWithout(backlog: 0);
            }
        }

        return ArchiveIdOf(message);
    }

    /// <summary>
    /// When the message is the first of the stream that claims an archive id of ours and the stream has not asked yet:
    /// asks the server now and returns the question, for the message to wait on before it is judged; when the stream
    /// asked at connect (an owed question) and has no answer yet, returns that question; otherwise null. The answer
    /// applies whenever it comes, also after the message stopped waiting for it.
    /// </summary>
    public Question? QuestionFor(Message message, CancellationToken cancellationToken)
    {
        if ((Volatile.Read(ref _unasked) is null && Volatile.Read(ref _askedAtConnect) is null) || ReceiptElements.FindStanzaId(message, Account) is null)
        {
            return null;
        }

        // Asked at connect and not answered yet: the first message that needs it waits for it too (once).
        if (Interlocked.Exchange(ref _askedAtConnect, null) is { Answered.IsCompleted: false } asked)
        {
            return asked;
        }

        return Interlocked.Exchange(ref _unasked, null) is { } unasked ? new Question(AnswerAsync(unasked, cancellationToken), _answerWait, this) : null;
    }

    public ValueTask OnConnectedAsync(ConnectionContext context, CancellationToken cancellationToken)
    {
        // A resumed stream is the same server session: what it announced still holds; so does a new stream on which the
        // server offers what it offered when it answered.
        var features = context.Connection.Features;
        if (Volatile.Read(ref _answeredWith) is { } answeredWith && (context.Resumed || answeredWith.SetEquals(features)))
        {
            if (!context.Resumed)
            {
                Log.StanzaIdAnswerReused(_logger, _tenant, _sessionId, _trusted);
            }

            return ValueTask.CompletedTask;
        }

        // Asked when a message first needs it, on this connection: also a resumed one when no stream has had the answer
        // yet (the stream that was to ask may have ended before any message needed it, and asking on it now would
        // only fail). Meanwhile the previous stream's answer stands (a server does not usually change what it
        // announces between connections); a late answer of an earlier stream no longer applies.
        var generation = Interlocked.Increment(ref _generation);
        Volatile.Write(ref _answeredWith, null);
        Volatile.Write(ref _askedAtConnect, null);
        var unasked = new Unasked(context.Connection, generation, features);
        if (_owed)
        {
            // Not waited for here: the first message that needs it waits, and keeps the stream read meanwhile.
            Log.StanzaIdAskedAtConnect(_logger, _tenant, _sessionId, _trusted);
            Volatile.Write(ref _unasked, null);
            Volatile.Write(ref _askedAtConnect, new Question(AnswerAsync(unasked, cancellationToken), _answerWait, this));
        }
        else
        {
            Volatile.Write(ref _unasked, unasked);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Asks on the stream that has not asked yet and applies the answer, whenever it comes.</summary>
    private async Task AnswerAsync(Unasked unasked, CancellationToken cancellationToken)
    {
        var announced = await AskAsync(unasked.Connection, cancellationToken).ConfigureAwait(false);
        Apply(announced, unasked.Generation, unasked.Features);
        _owed = announced is not { Known: true };
        if (announced is null && !unasked.Connection.IsConnected)
        {
            Log.StanzaIdAnswerLost(_logger, _tenant, _sessionId, _trusted);
        }

        if (announced is null && unasked.Connection.IsConnected && Volatile.Read(ref _generation) == unasked.Generation)
        {
            // No answer while the stream lives on (the query timed out): the next message that needs it asks again.
            Interlocked.CompareExchange(ref _unasked, unasked, null);
        }
    }

    /// <summary>
    /// Whether the server announces <c>urn:xmpp:sid:0</c> (Known: it answered with its disco#info); null when the
    /// connection ended before it said.
    /// </summary>
    private async Task<(bool Trusted, bool Known)?> AskAsync(IXmppConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            var reply = await connection.SendIqAsync(new Iq { Type = IqType.Get, To = Account, Payload = [new XElement(DiscoFeature.InfoQueryName)] }, _iqTimeout, cancellationToken).ConfigureAwait(false);
            return reply.Query is { } query && query.Name == DiscoFeature.InfoQueryName
                ? (DiscoFeature.Parse(query).Supports(Ns.StanzaId), true)
                : (false, false);
        }
        catch (StanzaErrorException)
        {
            // A refused query is no announcement; nor is it an answer the next stream can reuse (the refusal may be
            // passing, e.g. resource-constraint).
            return (false, false);
        }
        catch (Exception ex) when (ex is XmppException or OperationCanceledException)
        {
            // No answer in time (a busy stream can hold it back beyond the IQ timeout) or no connection: nothing was
            // said, so what is known stays. Taking silence for "no" would turn deduplication off in exactly the
            // reconnects that redeliver the most.
            return null;
        }
    }

    private void Apply((bool Trusted, bool Known)? announced, int generation, IReadOnlySet<XName> features)
    {
        if (announced is not var (trusted, known) || Volatile.Read(ref _generation) != generation)
        {
            return;
        }

        _trusted = trusted;
        if (known)
        {
            Volatile.Write(ref _answeredWith, features);
        }

        if (!trusted)
        {
            Log.StanzaIdsUntrusted(_logger, _tenant, _sessionId);
        }
    }

    /// <summary>
    /// The question a stream put to the server, for the message that made it ask. Whoever waits must not stop what reads
    /// the stream meanwhile: the answer arrives behind everything the server sent before it.
    /// </summary>
    /// <param name="Answered">Completes once the answer is applied, or the query ended without one.</param>
    /// <param name="Wait">How long the message waits at most (<see cref="DefaultAnswerWait"/>).</param>
    /// <param name="Trust">Whose question it is (for the log).</param>
    internal sealed record Question(Task Answered, TimeSpan Wait, StanzaIdTrust Trust)
    {
        /// <summary>The message stopped waiting (the wait expired, or <paramref name="backlog"/> stanzas piled up behind it) and is judged with what is known.</summary>
        public void WentOnWithout(int backlog)
        {
            if (backlog > 0)
            {
                Log.StanzaIdAnswerBehindBacklog(Trust._logger, Trust._tenant, Trust._sessionId, backlog, Trust._trusted);
            }
            else
            {
                Log.StanzaIdAnswerLate(Trust._logger, Trust._tenant, Trust._sessionId, Trust._trusted);
            }
        }
    }

    /// <summary>A stream that has not asked yet: where to ask, and what its answer would belong to.</summary>
    private sealed record Unasked(IXmppConnection Connection, int Generation, IReadOnlySet<XName> Features);
}
