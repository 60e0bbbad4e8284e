using System.Collections.Immutable;
using System.Diagnostics;
using System.Threading.Channels;
using System.Xml.Linq;
using Gateway.Xmpp.Diagnostics;
using Gateway.Xmpp.Protocol;
using Gateway.Xmpp.StreamManagement;
using Gateway.Xmpp.Transport;
using Microsoft.Extensions.Logging;

namespace Gateway.Xmpp.Session;

/// <summary>
/// Reads one stream until it ends and sends each element where it belongs: XEP-0198 requests and answers to the
/// stream-management state, IQ replies to their pending requests, IQ requests to the <see cref="IqRequestRunner"/>,
/// roster pushes (acknowledged) and messages and presence to the consumer's bounded channel, messages an owner's filter
/// takes to that owner. It never runs caller code that may block and never waits on the socket to write: what it must
/// answer goes to the <see cref="ReplyWriter"/>.
/// </summary>
internal sealed class StreamReadLoop
{
    private static readonly XName RosterQuery = XName.Get("query", Ns.Roster);

    private readonly XmppTransport _transport;
    private readonly XmppClientOptions _options;
    private readonly ILogger _logger;
    private readonly Jid _jid;
    private readonly StreamManagementState? _streamManagement;
    private readonly IqTracker _iqTracker;
    private readonly IqRequestRunner _iqRequests;
    private readonly PresenceAudience _audience;
    private readonly ReplyWriter _replies;
    private readonly AckRequestScheduler? _acks;
    private readonly ChannelWriter<Stanza> _incoming;
    private readonly IReadOnlyList<XElement> _earlyElements;
    private readonly Func<bool> _closing;
    private readonly TaskCompletionSource _serverClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Copy-on-write: the reader takes a snapshot per message.</summary>
    private Func<Message, bool>[] _messageFilters = [];
    private long _lastReceived = Stopwatch.GetTimestamp();

    /// <summary>Completed by the next element that arrives (see <see cref="NextReceived"/>); null while nobody waits.</summary>
    private TaskCompletionSource? _nextReceived;

    /// <param name="transport">The stream's connection.</param>
    /// <param name="options">The client's settings (inbound quota, manual acknowledgement, close timeout).</param>
    /// <param name="logger">Where it logs.</param>
    /// <param name="jid">The bound JID (roster pushes and results are only taken from its account).</param>
    /// <param name="streamManagement">XEP-0198 state, when the server enabled it.</param>
    /// <param name="iqTracker">Pending IQ requests of this side, completed by their replies.</param>
    /// <param name="iqRequests">Answers the server's and peers' IQ requests.</param>
    /// <param name="audience">Who may see our presence; kept current from the roster.</param>
    /// <param name="acks">When to ask the server about what is still unacknowledged after one of its answers.</param>
    /// <param name="replies">Writes what the reader must answer.</param>
    /// <param name="incoming">The consumer's channel (bounded: a slow consumer stops the reader, TCP holds the server back).</param>
    /// <param name="earlyElements">Stanzas that arrived during negotiation, dispatched first (they do not count for XEP-0198).</param>
    /// <param name="closing">Whether this side has begun closing the stream.</param>
    public StreamReadLoop(XmppTransport transport, XmppClientOptions options, ILogger logger, Jid jid, StreamManagementState? streamManagement, IqTracker iqTracker, IqRequestRunner iqRequests, PresenceAudience audience, ReplyWriter replies, AckRequestScheduler? acks, ChannelWriter<Stanza> incoming, IReadOnlyList<XElement> earlyElements, Func<bool> closing)
    {
        _transport = transport;
        _options = options;
        _logger = logger;
        _jid = jid;
        _streamManagement = streamManagement;
        _iqTracker = iqTracker;
        _iqRequests = iqRequests;
        _audience = audience;
        _replies = replies;
        _acks = acks;
        _incoming = incoming;
        _earlyElements = earlyElements;
        _closing = closing;
    }

    /// <summary>Completes when the server's closing tag has arrived (RFC 6120 §4.4).</summary>
    public Task ServerClosed => _serverClosed.Task;

    /// <summary>How long ago the last element arrived.</summary>
    public TimeSpan SinceLastReceived => Stopwatch.GetElapsedTime(Volatile.Read(ref _lastReceived));

    /// <summary>
    /// Completes when the next element arrives from the server (anything: proof that the stream is alive); never when
    /// the stream has ended. Waiters share one task.
    /// </summary>
    public Task NextReceived
    {
        get
        {
            var waiter = Volatile.Read(ref _nextReceived);
            if (waiter is null)
            {
                var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                waiter = Interlocked.CompareExchange(ref _nextReceived, created, null) ?? created;
            }

            return waiter.Task;
        }
    }

    /// <summary>Adds a filter that takes messages before the consumer sees them; dispose the result to remove it.</summary>
    public IDisposable AddMessageFilter(Func<Message, bool> filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ImmutableInterlocked.Update(ref _messageFilters, static (filters, added) => [.. filters, added], filter);
        return new Registration(() => ImmutableInterlocked.Update(ref _messageFilters, static (filters, removed) => [.. filters.Where(f => f != removed)], filter));
    }

    /// <summary>
    /// Reads until the stream ends, then reports why through <paramref name="ended"/>: null when the close was ours,
    /// otherwise the stream error, protocol violation or lost connection.
    /// </summary>
    public async Task RunAsync(Action<XmppException?> ended, CancellationToken lifetime)
    {
        XmppException? reason = null;
        try
        {
            foreach (var early in _earlyElements)
            {
                await DispatchAsync(early, countsForAck: false, lifetime).ConfigureAwait(false);
            }

            var throttle = _options.InboundQuota is { IsLimited: true } quota ? new InboundThrottle(quota, TimeProvider.System) : null;
            while (true)
            {
                var before = _transport.BytesRead;
                var streamEvent = await _transport.ReadEventAsync(lifetime).ConfigureAwait(false);
                switch (streamEvent)
                {
                    case StreamElementEvent { Element: var element }:
                        await DispatchAsync(element, countsForAck: true, lifetime).ConfigureAwait(false);
                        if (throttle?.Take(_transport.BytesRead - before) is { } pause && pause > TimeSpan.Zero)
                        {
                            // Over the inbound quota: stop reading the socket for a while. The kernel's buffers fill and
                            // TCP flow control holds the server back; nothing is dropped (XEP-0198 'h' is unaffected).
                            await Task.Delay(pause, lifetime).ConfigureAwait(false);
                        }

                        break;
                    case StreamEndEvent:
                        _serverClosed.TrySetResult();
                        if (!_closing())
                        {
                            // RFC 6120 §4.4: the server closed first; answer with our closing tag, then the session is over.
                            reason = new XmppConnectionException("The server closed the stream.");
                            await TryCloseStreamAsync(StreamFraming.ClosingTag).ConfigureAwait(false);
                        }

                        return;
                    default:
                        throw new XmppProtocolException(StreamErrorCondition.InvalidXml, "A second stream header arrived on an established stream.");
                }
            }
        }
        catch (XmppProtocolException ex)
        {
            reason = ex;
            Log.ProtocolViolation(_logger, _jid.Domain, ex.Condition.ToWire(), ex.Message);
            // RFC 6120 §4.9.1.1: report the violation with a stream error, then close (unless we closed already).
            await TryCloseStreamAsync(StreamFraming.StreamError(ex.Condition, null)).ConfigureAwait(false);
        }
        catch (StreamErrorException ex)
        {
            reason = ex;
            // RFC 6120 §4.9.1.1 and §4.4: the server closes its stream after the error; we answer with our closing tag.
            await TryCloseStreamAsync(StreamFraming.ClosingTag).ConfigureAwait(false);
        }
        catch (XmppException ex)
        {
            reason = _closing() && ex is XmppConnectionException ? null : ex;
        }
        catch (OperationCanceledException) when (lifetime.IsCancellationRequested)
        {
        }
        finally
        {
            ended(reason);
        }
    }

    private async ValueTask DispatchAsync(XElement element, bool countsForAck, CancellationToken lifetime)
    {
        Volatile.Write(ref _lastReceived, Stopwatch.GetTimestamp());
        if (Volatile.Read(ref _nextReceived) is not null)
        {
            Interlocked.Exchange(ref _nextReceived, null)?.TrySetResult();
        }

        if (StreamErrors.IsStreamError(element))
        {
            throw StreamErrors.Parse(element);
        }

        if (_streamManagement is not null && element.Name.NamespaceName == Ns.StreamManagement)
        {
            await HandleStreamManagementAsync(element, lifetime).ConfigureAwait(false);
            return;
        }

        if (!StanzaCodec.IsStanza(element))
        {
            Log.UnexpectedElement(_logger, _jid.Domain, element.Name.ToString());
            return;
        }

        if (!StanzaCodec.TryParse(element, out var stanza, out var error))
        {
            // XEP-0198 §4: every stanza received counts, even one we then drop as invalid.
            Count(countsForAck, toConsumer: false);
            Log.InvalidStanza(_logger, _jid.Domain, error);
            await AnswerInvalidIqAsync(element, lifetime).ConfigureAwait(false);
            return;
        }

        switch (stanza)
        {
            case Iq { IsRequest: false } reply:
                Count(countsForAck, toConsumer: false);
                if (!_iqTracker.TryComplete(reply))
                {
                    Log.UnmatchedIqReply(_logger, _jid.Domain, reply.Id);
                }
                else if (reply is { Type: IqType.Result, Query: { } roster } && roster.Name == RosterQuery && (reply.From is null || reply.From == _jid.Bare))
                {
                    // RFC 6121 §2.1.4: the account's whole roster, from its server: who may see our presence now.
                    _audience.Reset(RosterItem.ParseQuery(roster));
                }

                break;
            case Iq { Query: var query } push when query!.Name == RosterQuery:
                // Inline, not on the thread pool: a roster push must reach the consumer in stream order.
                await HandleRosterPushAsync(push, countsForAck, lifetime).ConfigureAwait(false);
                break;
            case Iq request:
                Count(countsForAck, toConsumer: false);
                await _iqRequests.StartAsync(request, lifetime).ConfigureAwait(false);
                break;
            case Message message when IsFiltered(message):
                Count(countsForAck, toConsumer: false);
                break; // taken by an owner's filter, in stream order (e.g. archive results)
            default:
                await DeliverAsync(stanza, countsForAck, lifetime).ConfigureAwait(false);
                break;
        }
    }

    /// <summary>
    /// XEP-0198 §4: counts a received stanza. One handed to the consumer counts as handled only once the consumer
    /// acknowledges it, when <see cref="XmppClientOptions.AcknowledgeIncomingManually"/> asks for that (so a stanza the
    /// server believes delivered is one the consumer has, e.g., stored).
    /// </summary>
    private void Count(bool countsForAck, bool toConsumer)
    {
        if (_streamManagement is null)
        {
            return;
        }

        var awaitsConsumer = toConsumer && _options.AcknowledgeIncomingManually;
        if (countsForAck)
        {
            _streamManagement.CountInbound(awaitsConsumer);
        }
        else if (awaitsConsumer)
        {
            _streamManagement.DeliverUncounted();
        }
    }

    private async ValueTask DeliverAsync(Stanza stanza, bool countsForAck, CancellationToken lifetime)
    {
        Count(countsForAck, toConsumer: true);
        await _incoming.WriteAsync(stanza, lifetime).ConfigureAwait(false);
    }

    private bool IsFiltered(Message message)
    {
        foreach (var filter in Volatile.Read(ref _messageFilters))
        {
            if (filter(message))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>XEP-0198 §4: answer the server's &lt;r/&gt;; apply its &lt;a/&gt; and keep asking while stanzas remain unacknowledged.</summary>
    private async ValueTask HandleStreamManagementAsync(XElement element, CancellationToken lifetime)
    {
        var state = _streamManagement!;
        if (element.Name == StreamManagementState.RequestName)
        {
            await _replies.EnqueueAsync(state.Answer(), lifetime).ConfigureAwait(false);
        }
        else if (element.Name == StreamManagementState.AnswerName)
        {
            state.OnAcknowledged(StreamManagementState.ParseHandled(element));

            // Stanzas written while the request was out: asked about at once when many, else once the stream is quiet.
            _acks?.Schedule();
        }
    }

    /// <summary>
    /// RFC 6121 §2.1.6: a roster push is acknowledged, but only when it comes from our own account (no
    /// 'from', or our bare JID); anything else is ignored as a possible spoof (§2.1.6 security note).
    /// </summary>
    private async ValueTask HandleRosterPushAsync(Iq push, bool countsForAck, CancellationToken lifetime)
    {
        if (push.Type != IqType.Set || (push.From is not null && push.From != _jid.Bare))
        {
            Count(countsForAck, toConsumer: false);
            await _replies.EnqueueAsync(push.ErrorReply(StanzaError.Of(StanzaErrorCondition.ServiceUnavailable)), lifetime).ConfigureAwait(false);
            return;
        }

        foreach (var item in push.AsRosterPush())
        {
            _audience.Apply(item);
        }

        await DeliverAsync(push, countsForAck, lifetime).ConfigureAwait(false);
        await _replies.EnqueueAsync(push.ResultReply(), lifetime).ConfigureAwait(false);
    }

    /// <summary>RFC 6120 §8.2.3: even an unparsable IQ request gets an error when it has an id to answer to.</summary>
    private async ValueTask AnswerInvalidIqAsync(XElement element, CancellationToken lifetime)
    {
        var type = (string?)element.Attribute("type");
        var id = (string?)element.Attribute("id");
        if (element.Name.LocalName != "iq" || type is not ("get" or "set") || string.IsNullOrEmpty(id))
        {
            return;
        }

        var answer = new Iq { Type = IqType.Error, Id = id, Error = StanzaError.Of(StanzaErrorCondition.BadRequest) };
        if (Jid.TryParse((string?)element.Attribute("from"), out var from))
        {
            answer = answer with { To = from };
        }

        await _replies.EnqueueAsync(answer, lifetime).ConfigureAwait(false);
    }

    private async ValueTask TryCloseStreamAsync(ReadOnlyMemory<byte> lastBytes)
    {
        try
        {
            using var cts = new CancellationTokenSource(_options.CloseTimeout);
            await _transport.CloseStreamAsync(lastBytes, cts.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is XmppException or OperationCanceledException)
        {
        }
    }

    private sealed class Registration(Action remove) : IDisposable
    {
        private Action? _remove = remove;

        public void Dispose() => Interlocked.Exchange(ref _remove, null)?.Invoke();
    }
}
