using System.Xml.Linq;
using Gateway.Xmpp.Diagnostics;
using Gateway.Xmpp.Protocol;
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

            while (true)
            {
                var streamEvent = await _transport.ReadEventAsync(_lifetime.Token).ConfigureAwait(false);
                switch (streamEvent)
                {
                    case StreamElementEvent { Element: var element }:
                        await DispatchAsync(element, countsForAck: true).ConfigureAwait(false);
                        break;
                    case StreamEndEvent:
                        _serverClosed.TrySetResult();
                        if (Volatile.Read(ref _closing) == 0)
                        {
                            // RFC 6120 §4.4: the server closed first; answer with our closing tag, then the session is over.
                            reason = new XmppConnectionException("The server closed the stream.");
                            await TryWriteAsync(StreamFraming.ClosingTag).ConfigureAwait(false);
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
            // RFC 6120 §4.9.1.1: report the violation with a stream error, then close.
            await TryWriteAsync(StreamFraming.StreamError(ex.Condition, null)).ConfigureAwait(false);
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
        if (StreamErrors.IsStreamError(element))
        {
            throw StreamErrors.Parse(element);
        }

        if (_streamManagement is not null && element.Name.NamespaceName == Ns.StreamManagement)
        {
            HandleStreamManagement(element);
            return;
        }

        if (!StanzaCodec.IsStanza(element))
        {
            Log.UnexpectedElement(_logger, Jid.Domain, element.Name.ToString());
            return;
        }

        if (countsForAck)
        {
            // XEP-0198 §4: every stanza received counts, even one we then drop as invalid.
            _streamManagement?.CountInbound();
        }

        if (!StanzaCodec.TryParse(element, out var stanza, out var error))
        {
            Log.InvalidStanza(_logger, Jid.Domain, error);
            await AnswerInvalidIqAsync(element).ConfigureAwait(false);
            return;
        }

        switch (stanza)
        {
            case Iq { IsRequest: false } reply:
                if (!_iqTracker.TryComplete(reply))
                {
                    Log.UnmatchedIqReply(_logger, Jid.Domain, reply.Id);
                }

                break;
            case Iq { Query: var query } push when query!.Name == RosterQuery:
                // Inline, not on the thread pool: a roster push must reach the consumer in stream order.
                var answer = await HandleRosterPushAsync(push).ConfigureAwait(false);
                _ = Task.Run(() => TryWriteStanzaAsync(answer).AsTask());
                break;
            case Iq request:
                _ = Task.Run(() => HandleIqRequestAsync(request));
                break;
            case Message message when _messageFilter?.Invoke(message) == true:
                break; // taken by the owner's filter, in stream order (e.g. archive results)
            default:
                await _incoming.Writer.WriteAsync(stanza, _lifetime.Token).ConfigureAwait(false);
                break;
        }
    }

    private async Task HandleIqRequestAsync(Iq request)
    {
        Iq answer;
        try
        {
            if (_iqHandlers.TryGetValue(request.Query!.Name, out var handler) || (handler = _fallbackIqHandler) is not null)
            {
                var payload = await handler(request, _lifetime.Token).ConfigureAwait(false);
                answer = request.ResultReply(payload);
            }
            else
            {
                // RFC 6120 §8.4: an IQ whose payload we do not understand gets service-unavailable.
                answer = request.ErrorReply(StanzaError.Of(StanzaErrorCondition.ServiceUnavailable));
            }
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
    private void HandleStreamManagement(XElement element)
    {
        var state = _streamManagement!;
        if (element.Name == StreamManagementState.RequestName)
        {
            var answer = state.Answer();
            _ = Task.Run(() => TryWriteAsync(answer));
        }
        else if (element.Name == StreamManagementState.AnswerName)
        {
            state.OnAcknowledged(StreamManagementState.ParseHandled(element));
            if (state.UnackedCount > 0)
            {
                _ = Task.Run(async () =>
                {
                    try
                    {
                        await RequestAcknowledgementAsync(_lifetime.Token).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is XmppException or OperationCanceledException)
                    {
                    }
                });
            }
        }
    }

    private async Task TryWriteAsync(XElement element)
    {
        try
        {
            await _transport.SendAsync(s => s.Serialize(element), _lifetime.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is XmppException or OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// RFC 6121 §2.1.6: a roster push is acknowledged, but only when it comes from our own account (no
    /// 'from', or our bare JID); anything else is ignored as a possible spoof (§2.1.6 security note).
    /// </summary>
    private async ValueTask<Iq> HandleRosterPushAsync(Iq push)
    {
        if (push.Type != IqType.Set || (push.From is not null && push.From != Jid.Bare))
        {
            return push.ErrorReply(StanzaError.Of(StanzaErrorCondition.ServiceUnavailable));
        }

        await _incoming.Writer.WriteAsync(push, _lifetime.Token).ConfigureAwait(false);
        return push.ResultReply();
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

        await TryWriteStanzaAsync(answer).ConfigureAwait(false);
    }

    private async ValueTask TryWriteStanzaAsync(Stanza stanza)
    {
        try
        {
            await WriteStanzaAsync(stanza, _lifetime.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is XmppException or OperationCanceledException)
        {
        }
    }

    private async ValueTask TryWriteAsync(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            using var cts = new CancellationTokenSource(_options.CloseTimeout);
            await _transport.WriteAsync(bytes, cts.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is XmppException or OperationCanceledException)
        {
        }
    }
}
