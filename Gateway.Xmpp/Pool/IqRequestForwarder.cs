using System.Collections.Concurrent;
using System.Xml.Linq;
using Gateway.Xmpp.Client;
using Gateway.Xmpp.Diagnostics;
using Gateway.Xmpp.Pool.Journal;
using Microsoft.Extensions.Logging;

namespace Gateway.Xmpp.Pool;

/// <summary>
/// IQ requests no part of the library answers go to the application: published as <see cref="IqRequestReceived"/>,
/// answered with <see cref="TryAnswer"/>. RFC 6120 §8.2.3 requires an answer, so after the timeout the gateway
/// answers <c>service-unavailable</c> itself. At most <see cref="MaxPending"/> wait at once
/// (<see cref="SessionPoolOptions.MaxPendingIqRequests"/>); beyond it a request is answered <c>resource-constraint</c>
/// at once, and the connection's own handlers (ping, disco) keep slots of <see cref="XmppClientOptions.MaxConcurrentIqRequests"/>.
/// </summary>
internal sealed class IqRequestForwarder(SessionJournal journal, TimeSpan answerTimeout, TimeProvider time, ILogger logger, int maxPending = int.MaxValue) : IConnectionFeature
{
    // Per session and rarely more than a few entries: one lock and a few buckets, not a lock per core and 31 buckets.
    private readonly ConcurrentDictionary<string, PendingIqRequest> _pending = new(concurrencyLevel: 1, capacity: 2, StringComparer.Ordinal);

    /// <summary>Places taken by forwarded requests not yet answered.</summary>
    private int _waiting;

    /// <summary>Forwarded requests that may wait for their answer at once.</summary>
    public int MaxPending => maxPending;

    public ValueTask OnConnectedAsync(ConnectionContext context, CancellationToken cancellationToken)
    {
        context.Connection.SetFallbackIqHandler(ForwardAsync);
        return ValueTask.CompletedTask;
    }

    /// <summary>Answers a forwarded request; false when it was already answered (or timed out), or the answer does not fit it.</summary>
    public bool TryAnswer(Iq answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        return answer.Id is not null && _pending.TryGetValue(answer.Id, out var pending)
            && (answer.To is null || answer.To == pending.Request.From)
            && pending.Answer.TrySetResult(answer);
    }

    private async ValueTask<XElement?> ForwardAsync(Iq request, CancellationToken cancellationToken)
    {
        var pending = new PendingIqRequest(request);
        if (request.Id is null || !_pending.TryAdd(request.Id, pending))
        {
            throw new StanzaErrorException(StanzaError.Of(StanzaErrorCondition.ServiceUnavailable));
        }

        if (Interlocked.Increment(ref _waiting) > maxPending)
        {
            Interlocked.Decrement(ref _waiting);
            _pending.TryRemove(new KeyValuePair<string, PendingIqRequest>(request.Id, pending));

            // RFC 6120 §8.3.3.18: resource-constraint (type wait) when the entity lacks the resources to answer now;
            // the requester may retry later, and a slow API client cannot make requests pile up without bound.
            throw new StanzaErrorException(StanzaError.Of(StanzaErrorCondition.ResourceConstraint));
        }

        try
        {
            var answerBy = time.GetUtcNow() + answerTimeout;
            await journal.WaitForCapacityAsync(cancellationToken).ConfigureAwait(false);
            journal.Publish(new IqRequestReceived(journal.Tenant, journal.SessionId, 0, time.GetUtcNow(), request, answerBy), reserved: true);
            Iq answer;
            try
            {
                answer = await pending.Answer.Task.WaitAsync(answerTimeout, time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                Log.IqAnswerTimedOut(logger, journal.Tenant, journal.SessionId, answerTimeout);
                throw new StanzaErrorException(StanzaError.Of(StanzaErrorCondition.ServiceUnavailable));
            }

            return answer.Type == IqType.Error
                ? throw new StanzaErrorException(answer.Error ?? StanzaError.Of(StanzaErrorCondition.UndefinedCondition))
                : answer.Query;
        }
        finally
        {
            _pending.TryRemove(new KeyValuePair<string, PendingIqRequest>(request.Id, pending));
            Interlocked.Decrement(ref _waiting);
        }
    }

    private sealed record PendingIqRequest(Iq Request)
    {
        public TaskCompletionSource<Iq> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
