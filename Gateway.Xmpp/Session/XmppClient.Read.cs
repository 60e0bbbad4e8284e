using System.Diagnostics;
using System.Xml.Linq;
using Gateway.Xmpp.Diagnostics;
using Gateway.Xmpp.Protocol;
using Gateway.Xmpp.Session;
using Gateway.Xmpp.StreamManagement;

namespace Gateway.Xmpp;

public sealed partial class XmppClient
{
    private static readonly XName RosterQuery = XName.Get("query", Ns.Roster);

    private async Task ReadLoopAsync()
    {
        XmppException? reason = null;
        try
        {
            foreach (var early in _earlyElements)
            {
                await DispatchAsync(early, countsForAck: false).ConfigureAwait(false);
            }

            var throttle = _options.InboundQuota is { IsLimited: true } quota ? new InboundThrottle(quota, TimeProvider.System) : null;
            while (true)
            {
                var before = _transport.BytesRead;
                var streamEvent = await _transport.ReadEventAsync(_lifetime.Token).ConfigureAwait(false);
                switch (streamEvent)
                {
                    case StreamElementEvent { Element: var element }:
                        await DispatchAsync(element, countsForAck: true).ConfigureAwait(false);
                        if (throttle?.Take(_transport.BytesRead - before) is { } pause && pause > TimeSpan.Zero)
                        {
                            // Over the inbound quota: stop reading the socket for a while. The kernel's buffers fill and
                            // TCP flow control holds the server back; nothing is dropped (XEP-0198 'h' is unaffected).
                            await Task.Delay(pause, _lifetime.Token).ConfigureAwait(false);
                        }

                        break;
                    case StreamEndEvent:
                        _serverClosed.TrySetResult();
                        if (Volatile.Read(ref _closing) == 0)
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
            Log.ProtocolViolation(_logger, Jid.Domain, ex.Condition.ToWire(), ex.Message);
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
            reason = Volatile.Read(ref _closing) != 0 && ex is XmppConnectionException ? null : ex;
        }
        catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
        {
        }
        finally
        {
            Terminate(reason);
        }
    }

    private async ValueTask DispatchAsync(XElement element, bool countsForAck)
    {
        Volatile.Write(ref _lastReceived, Stopwatch.GetTimestamp());
        if (StreamErrors.IsStreamError(element))
        {
            throw StreamErrors.Parse(element);
        }

        if (_streamManagement is not null && element.Name.NamespaceName == Ns.StreamManagement)
        {
            await HandleStreamManagementAsync(element).ConfigureAwait(false);
            return;
        }

        if (!StanzaCodec.IsStanza(element))
        {
            Log.UnexpectedElement(_logger, Jid.Domain, element.Name.ToString());
            return;
        }

        if (!StanzaCodec.TryParse(element, out var stanza, out var error))
        {
            // XEP-0198 §4: every stanza received counts, even one we then drop as invalid.
            Count(countsForAck, toConsumer: false);
            Log.InvalidStanza(_logger, Jid.Domain, error);
            await AnswerInvalidIqAsync(element).ConfigureAwait(false);
            return;
        }

        switch (stanza)
        {
            case Iq { IsRequest: false } reply:
                Count(countsForAck, toConsumer: false);
                if (!_iqTracker.TryComplete(reply))
                {
                    Log.UnmatchedIqReply(_logger, Jid.Domain, reply.Id);
                }
                else if (reply is { Type: IqType.Result, Query: { } roster } && roster.Name == RosterQuery && (reply.From is null || reply.From == Jid.Bare))
                {
                    // RFC 6121 §2.1.4: the account's whole roster, from its server: who may see our presence now.
                    _audience.Reset(RosterItem.ParseQuery(roster));
                }

                break;
            case Iq { Query: var query } push when query!.Name == RosterQuery:
                // Inline, not on the thread pool: a roster push must reach the consumer in stream order.
                await HandleRosterPushAsync(push, countsForAck).ConfigureAwait(false);
                break;
            case Iq request:
                Count(countsForAck, toConsumer: false);
                await StartIqRequestAsync(request).ConfigureAwait(false);
                break;
            case Message message when IsFiltered(message):
                Count(countsForAck, toConsumer: false);
                break; // taken by an owner's filter, in stream order (e.g. archive results)
            default:
                await DeliverAsync(stanza, countsForAck).ConfigureAwait(false);
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

    private async ValueTask DeliverAsync(Stanza stanza, bool countsForAck)
    {
        Count(countsForAck, toConsumer: true);
        await _incoming.Writer.WriteAsync(stanza, _lifetime.Token).ConfigureAwait(false);
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

    /// <summary>
    /// Runs the request's handler on the thread pool, within <see cref="XmppClientOptions.MaxConcurrentIqRequests"/>;
    /// beyond it, or with nobody to handle it, the answer is an error at once (RFC 6120 §8.3.3.18, §8.4).
    /// </summary>
    private async ValueTask StartIqRequestAsync(Iq request)
    {
        var handler = RevealsPresence(request) && !_audience.Admits(request.From) ? null : _iqRequests.Find(request);
        if (handler is null)
        {
            // RFC 6120 §8.4: an IQ whose payload we do not understand gets service-unavailable; so does one that would
            // tell a stranger we are online: the server's answer for a resource that is not there (RFC 6121 §8.5.3.1).
            await _replies.EnqueueAsync(request.ErrorReply(StanzaError.Of(StanzaErrorCondition.ServiceUnavailable)), _lifetime.Token).ConfigureAwait(false);
            return;
        }

        if (!_iqRequests.TryEnter())
        {
            await _replies.EnqueueAsync(request.ErrorReply(StanzaError.Of(StanzaErrorCondition.ResourceConstraint)), _lifetime.Token).ConfigureAwait(false);
            return;
        }

        // Bounded by the slot just taken; each run ends with the stream at the latest (it observes the lifetime token).
        _ = Task.Run(async () =>
        {
            try
            {
                await HandleIqRequestAsync(request, handler).ConfigureAwait(false);
            }
            finally
            {
                _iqRequests.Exit();
            }
        });
    }

    private async Task HandleIqRequestAsync(Iq request, IqRequestHandler handler)
    {
        Iq answer;
        try
        {
            var payload = await handler(request, _lifetime.Token).ConfigureAwait(false);
            answer = request.ResultReply(payload);
        }
        catch (StanzaErrorException ex)
        {
            answer = request.ErrorReply(ex.Error);
        }
        catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
        {
            return;
        }
#pragma warning disable CA1031 // A failing handler must still produce an answer: RFC 6120 §8.2.3 requires one.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.IqHandlerFailed(_logger, Jid.Domain, request.Query!.Name.ToString(), ex);
            answer = request.ErrorReply(StanzaError.Of(StanzaErrorCondition.InternalServerError));
        }

        if (IsConnected)
        {
            try
            {
                await SendAsync(answer, _lifetime.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is XmppException or OperationCanceledException)
            {
                // The stream ended while answering; the requester sees the session go away instead.
            }
        }
    }

    /// <summary>XEP-0198 §4: answer the server's &lt;r/&gt;; apply its &lt;a/&gt; and keep asking while stanzas remain unacknowledged.</summary>
    private async ValueTask HandleStreamManagementAsync(XElement element)
    {
        var state = _streamManagement!;
        if (element.Name == StreamManagementState.RequestName)
        {
            await _replies.EnqueueAsync(state.Answer(), _lifetime.Token).ConfigureAwait(false);
        }
        else if (element.Name == StreamManagementState.AnswerName)
        {
            state.OnAcknowledged(StreamManagementState.ParseHandled(element));
            if (state.UnackedCount > 0 && state.TryBeginAckRequest())
            {
                await _replies.EnqueueAsync(StreamManagementState.Request(), _lifetime.Token).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// RFC 6121 §2.1.6: a roster push is acknowledged, but only when it comes from our own account (no
    /// 'from', or our bare JID); anything else is ignored as a possible spoof (§2.1.6 security note).
    /// </summary>
    private async ValueTask HandleRosterPushAsync(Iq push, bool countsForAck)
    {
        if (push.Type != IqType.Set || (push.From is not null && push.From != Jid.Bare))
        {
            Count(countsForAck, toConsumer: false);
            await _replies.EnqueueAsync(push.ErrorReply(StanzaError.Of(StanzaErrorCondition.ServiceUnavailable)), _lifetime.Token).ConfigureAwait(false);
            return;
        }

        foreach (var item in push.AsRosterPush())
        {
            _audience.Apply(item);
        }

        await DeliverAsync(push, countsForAck).ConfigureAwait(false);
        await _replies.EnqueueAsync(push.ResultReply(), _lifetime.Token).ConfigureAwait(false);
    }

    /// <summary>RFC 6120 §8.2.3: even an unparsable IQ request gets an error when it has an id to answer to.</summary>
    private async ValueTask AnswerInvalidIqAsync(XElement element)
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

        await _replies.EnqueueAsync(answer, _lifetime.Token).ConfigureAwait(false);
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
}
