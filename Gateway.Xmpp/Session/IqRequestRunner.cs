using System.Collections.Frozen;
using System.Xml.Linq;
using Gateway.Xmpp.Diagnostics;
using Gateway.Xmpp.Protocol;
using Microsoft.Extensions.Logging;

namespace Gateway.Xmpp.Session;

/// <summary>
/// Answers the IQ get/set requests a stream receives (RFC 6120 §8.2.3): finds the handler, runs it on the thread pool
/// within <see cref="IqRequestHandlers.MaxConcurrent"/>, and writes its result or error. Every request gets exactly one
/// answer while the stream lives, even when its handler fails.
/// </summary>
internal sealed class IqRequestRunner(IqRequestHandlers handlers, PresenceAudience audience, ReplyWriter replies, Func<Stanza, CancellationToken, Task> send, Func<bool> isConnected, ILogger logger, string domain)
{
    /// <summary>Requests whose mere answer says this resource is online: only <see cref="XmppClientOptions.RespondTo"/> gets one.</summary>
    private static readonly FrozenSet<XName> PresenceRevealing =
        FrozenSet.Create(DiscoFeature.InfoQueryName, PingFeature.PingName, SoftwareVersionFeature.QueryName);

    /// <summary>
    /// Starts answering <paramref name="request"/>; beyond the concurrency bound, or with nobody to handle it, the answer
    /// is an error at once (RFC 6120 §8.3.3.18, §8.4). Waits only while the reply queue is full.
    /// </summary>
    public async ValueTask StartAsync(Iq request, CancellationToken lifetime)
    {
        var handler = PresenceRevealing.Contains(request.Query!.Name) && !audience.Admits(request.From) ? null : handlers.Find(request);
        if (handler is null)
        {
            // RFC 6120 §8.4: an IQ whose payload we do not understand gets service-unavailable; so does one that would
            // tell a stranger we are online: the server's answer for a resource that is not there (RFC 6121 §8.5.3.1).
            await replies.EnqueueAsync(request.ErrorReply(StanzaError.Of(StanzaErrorCondition.ServiceUnavailable)), lifetime).ConfigureAwait(false);
            return;
        }

        if (!handlers.TryEnter())
        {
            await replies.EnqueueAsync(request.ErrorReply(StanzaError.Of(StanzaErrorCondition.ResourceConstraint)), lifetime).ConfigureAwait(false);
            return;
        }

        // Bounded by the slot just taken; each run ends with the stream at the latest (it observes the lifetime token).
        _ = Task.Run(async () =>
        {
            try
            {
                await AnswerAsync(request, handler, lifetime).ConfigureAwait(false);
            }
            finally
            {
                handlers.Exit();
            }
        });
    }

    private async Task AnswerAsync(Iq request, IqRequestHandler handler, CancellationToken lifetime)
    {
        Iq answer;
        try
        {
            var payload = await handler(request, lifetime).ConfigureAwait(false);
            answer = request.ResultReply(payload);
        }
        catch (StanzaErrorException ex)
        {
            answer = request.ErrorReply(ex.Error);
        }
        catch (OperationCanceledException) when (lifetime.IsCancellationRequested)
        {
            return;
        }
#pragma warning disable CA1031 // A failing handler must still produce an answer: RFC 6120 §8.2.3 requires one.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.IqHandlerFailed(logger, domain, request.Query!.Name.ToString(), ex);
            answer = request.ErrorReply(StanzaError.Of(StanzaErrorCondition.InternalServerError));
        }

        if (isConnected())
        {
            try
            {
                await send(answer, lifetime).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is XmppException or OperationCanceledException)
            {
                // The stream ended while answering; the requester sees the session go away instead.
            }
        }
    }
}
