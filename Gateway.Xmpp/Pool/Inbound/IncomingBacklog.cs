using System.Threading.Channels;

namespace Gateway.Xmpp.Pool;

/// <summary>
/// One connection's incoming stanzas as the inbound pipeline takes them: from the connection's bounded queue, and from
/// a backlog that it fills while a stanza waits for something only the stream itself can bring (the server's answer to
/// a question, which arrives behind everything the server sent before it). The stream's reader stops when the queue is
/// full, so a stanza that waited without emptying it would wait for an answer that cannot be read.
/// </summary>
/// <param name="incoming">The connection's queue; only this backlog reads it.</param>
/// <param name="limit">How many stanzas the backlog holds at most: a wait ends when it is full (memory stays bounded).</param>
internal sealed class IncomingBacklog(ChannelReader<Stanza> incoming, int limit)
{
    private readonly Queue<Stanza> _backlog = new();

    /// <summary>How many stanzas wait in the backlog.</summary>
    public int Count => _backlog.Count;

    /// <summary>The next stanza in stream order; null once the stream has ended and everything was taken.</summary>
    public async ValueTask<Stanza?> NextAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_backlog.TryDequeue(out var stanza) || incoming.TryRead(out stanza))
            {
                return stanza;
            }

            if (!await incoming.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }
        }
    }

    /// <summary>
    /// Waits until <paramref name="answered"/> completes, at most <paramref name="wait"/>, taking what arrives meanwhile
    /// into the backlog so the reader goes on reading; true when it completed, false when the wait expired or the
    /// backlog is full (waiting longer could only stall the reader again). Never observes the task's outcome.
    /// </summary>
    public async ValueTask<bool> WaitTakingAsync(Task answered, TimeSpan wait, CancellationToken cancellationToken)
    {
        using var scope = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var expired = Task.Delay(wait, scope.Token);
        var open = true;
        try
        {
            while (!answered.IsCompleted)
            {
                while (_backlog.Count < limit && incoming.TryRead(out var stanza))
                {
                    _backlog.Enqueue(stanza);
                }

                if (_backlog.Count >= limit)
                {
                    return answered.IsCompleted;
                }

                // Once the stream has ended only the answer (or its failure, which ending the stream brings) can come.
                var more = open ? incoming.WaitToReadAsync(scope.Token).AsTask() : null;
                var first = await (more is null ? Task.WhenAny(answered, expired) : Task.WhenAny(answered, expired, more)).ConfigureAwait(false);
                if (first == expired)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    return answered.IsCompleted;
                }

                if (first == more && !await more.ConfigureAwait(false))
                {
                    open = false;
                }
            }

            return true;
        }
        finally
        {
            // Ends the timer and a pending WaitToReadAsync, which would otherwise stay registered with the queue.
            await scope.CancelAsync().ConfigureAwait(false);
        }
    }
}
