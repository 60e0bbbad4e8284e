using System.Collections.Concurrent;

namespace Gateway.Xmpp.Session;

/// <summary>
/// Correlates IQ requests with their replies by id (RFC 6120 §8.2.3). A reply is accepted only when it
/// comes from the entity the request was sent to, so another entity cannot answer in its place (the
/// rule Smack's IQReplyFilter applies).
/// </summary>
internal sealed class IqTracker
{
    // Per connection and rarely more than a few entries: one lock and a few buckets, not a lock per core and 31 buckets.
    private readonly ConcurrentDictionary<string, PendingIq> _pending = new(concurrencyLevel: 1, capacity: 2, StringComparer.Ordinal);
    private readonly Func<Jid?> _ownJid;

    public IqTracker(Func<Jid?> ownJid) => _ownJid = ownJid;

    public int Count => _pending.Count;

    /// <summary>Registers a request before it is written, so a fast reply cannot be missed.</summary>
    public PendingIq Register(Iq request)
    {
        var pending = new PendingIq(this, request);
        if (!_pending.TryAdd(request.Id!, pending))
        {
            throw new InvalidOperationException($"An IQ with id '{request.Id}' is already awaiting its reply.");
        }

        return pending;
    }

    /// <summary>Completes the matching request; false when no request matches (late, unknown or spoofed reply).</summary>
    public bool TryComplete(Iq reply)
    {
        if (reply.Id is null || !_pending.TryGetValue(reply.Id, out var pending) || !IsFromAddressee(pending.Request.To, reply.From))
        {
            return false;
        }

        if (!_pending.TryRemove(new KeyValuePair<string, PendingIq>(reply.Id, pending)))
        {
            return false;
        }

        return pending.Completion.TrySetResult(reply);
    }

    /// <summary>Fails every outstanding request: the stream is gone and no reply can arrive on it.</summary>
    public void FailAll(Exception exception)
    {
        foreach (var (id, pending) in _pending)
        {
            if (_pending.TryRemove(new KeyValuePair<string, PendingIq>(id, pending)))
            {
                pending.Completion.TrySetException(exception);
            }
        }
    }

    private bool IsFromAddressee(Jid? requestTo, Jid? replyFrom)
    {
        if (requestTo is null || requestTo == _ownJid()?.Bare)
        {
            // RFC 6120 §10.3.3 / §8.1.2.1: a request to our own account is answered by the server on its
            // behalf, from no address, our bare JID, or our full JID.
            var own = _ownJid();
            return replyFrom is null || (own is not null && (replyFrom == own.Bare || replyFrom == own || replyFrom == Jid.Parse(own.Domain)));
        }

        return replyFrom == requestTo;
    }

    private void Remove(PendingIq pending) =>
        _pending.TryRemove(new KeyValuePair<string, PendingIq>(pending.Request.Id!, pending));

    /// <summary>One outstanding request; disposing it stops waiting (timeout or cancellation).</summary>
    internal sealed class PendingIq(IqTracker tracker, Iq request) : IDisposable
    {
        public Iq Request { get; } = request;

        public TaskCompletionSource<Iq> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<Iq> Reply => Completion.Task;

        public void Dispose() => tracker.Remove(this);
    }
}
