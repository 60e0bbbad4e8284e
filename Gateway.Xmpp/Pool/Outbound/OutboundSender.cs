using Gateway.Xmpp.Client;
using Gateway.Xmpp.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Gateway.Xmpp.Pool;

/// <summary>
/// Drains a session's <see cref="OutboundQueue"/> onto each connection: whatever is queued goes out in one write (up
/// to a batch). A batch with a stanza whose caller waits for the server asks it to acknowledge (XEP-0198 §4) in the
/// same write; otherwise the connection asks once it has been quiet briefly (<see cref="XmppClientOptions.AcknowledgementRequestDelay"/>),
/// so the last stanzas of a burst reach "acked" — and leave the outbox — without waiting for more traffic, and a slow,
/// steady stream of messages shares requests.
/// </summary>
/// <param name="queue">The session's queue.</param>
/// <param name="drainTimeout">How long a graceful stop waits for the server to acknowledge what was written.</param>
/// <param name="tenant">For logs.</param>
/// <param name="sessionId">For logs.</param>
/// <param name="logger">Where it logs.</param>
/// <param name="window">Stanzas written and not yet acknowledged beyond which the sender waits for the server (XEP-0198).</param>
internal sealed class OutboundSender(OutboundQueue queue, TimeSpan drainTimeout, string tenant, string sessionId, ILogger logger, int window = int.MaxValue) : IConnectionFeature
{
    /// <summary>Stanzas per write: enough to amortise the system call, few enough to keep one write small.</summary>
    private const int MaxBatch = 64;

    public async Task RunAsync(ConnectionContext context, CancellationToken cancellationToken)
    {
        using var link = context.LinkEnded(cancellationToken, out var token);
        var connection = context.Connection;
        // Grown by what is actually sent: most sessions of a large pool send a few stanzas at a time, if any, and a
        // batch's worth of capacity held by each of ten thousand idle connections is memory for nothing.
        var batch = new List<OutboundItem>();
        var stanzas = new List<Stanza>();
        var serialized = new List<ReadOnlyMemory<byte>>();
        queue.SetDraining(true);
        try
        {
            while (queue.HasWaiting || await queue.Items.WaitToReadAsync(token).ConfigureAwait(false))
            {
                var room = queue.WindowRoom(window);
                if (room == 0)
                {
                    // The server has not confirmed enough of what was written: ask (unless a request is out) and wait,
                    // rather than fill the socket buffers, where messages would wait unseen.
                    await connection.RequestAcknowledgementAsync(token).ConfigureAwait(false);
                    await queue.WaitForWindowAsync(window, token).ConfigureAwait(false);
                    continue;
                }

                queue.Take(batch, Math.Min(MaxBatch, room));
                stanzas.Clear();
                serialized.Clear();
                foreach (var item in batch)
                {
                    stanzas.Add(item.Stanza);
                    serialized.Add(item.Serialized);
                }

                // A caller waits on the acknowledgement: ask for it in the same write.
                var requestAcknowledgement = batch.Exists(i => i.WaitForAck);
                if (!await WriteAsync(connection, stanzas, serialized, batch, requestAcknowledgement, token).ConfigureAwait(false))
                {
                    return;
                }

                batch.Clear();
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or XmppConnectionException)
        {
            if (batch.Count > 0)
            {
                queue.PutBack(batch);
            }
        }
        finally
        {
            queue.SetDraining(false);
        }
    }

    /// <summary>A graceful stop: the server acknowledges everything written (within the drain time), so nothing is resent after a restart.</summary>
    public async ValueTask OnStoppingAsync(ConnectionContext context, CancellationToken cancellationToken)
    {
        if (!queue.HasUnacknowledged)
        {
            return;
        }

        try
        {
            await context.Connection.RequestAcknowledgementAsync(cancellationToken).ConfigureAwait(false);
            await queue.WaitUntilAcknowledgedAsync(cancellationToken).WaitAsync(drainTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is XmppException or OperationCanceledException or TimeoutException)
        {
            // Out of time or connection: what is unacknowledged stays in the outbox and the next start settles it.
        }
    }

    /// <summary>Writes one batch; false when the connection ended (what was not written is put back).</summary>
    private async Task<bool> WriteAsync(IXmppConnection connection, List<Stanza> stanzas, IReadOnlyList<ReadOnlyMemory<byte>>? serialized, List<OutboundItem> batch, bool requestAcknowledgement, CancellationToken cancellationToken)
    {
        IReadOnlyList<Task> acknowledgements;
        try
        {
            // Written as serialised when they were accepted: the same bytes the outbox stored, not serialised again.
            acknowledgements = serialized is not null && connection is ISerializedBatchSender sender
                ? await sender.SendSerializedBatchAsync(stanzas, serialized, requestAcknowledgement, cancellationToken).ConfigureAwait(false)
                : await connection.SendBatchAsync(stanzas, requestAcknowledgement, cancellationToken).ConfigureAwait(false);
        }
        catch (XmppConnectionException ex)
        {
            if (ex.PendingAcknowledgements is { } pending)
            {
                // The stanzas may have reached the server: they went with the stream's unacknowledged stanzas, and the
                // next connection settles them (resumption's count, or a lookup and resend on a new stream). They leave
                // the queue, or they would be sent twice.
                Written(batch, pending);
            }
            else
            {
                queue.PutBack(batch);
            }

            Log.SendInterrupted(logger, tenant, sessionId);
            return false;
        }
        catch (ArgumentException) when (stanzas.Count > 1)
        {
            // A stanza XML cannot carry: nothing of the batch was written. Send them one by one to find it.
            for (var i = 0; i < batch.Count; i++)
            {
                if (!await WriteAsync(connection, [batch[i].Stanza], null, [batch[i]], requestAcknowledgement && i == batch.Count - 1, cancellationToken).ConfigureAwait(false))
                {
                    // The connection ended: the rest goes first next time.
                    queue.PutBack(batch.GetRange(i + 1, batch.Count - i - 1));
                    return false;
                }
            }

            return true;
        }
        catch (ArgumentException ex)
        {
            queue.Taken(batch);
            foreach (var item in batch)
            {
                await queue.RejectAsync(item, ex).ConfigureAwait(false);
            }

            return true;
        }

        Written(batch, acknowledgements);
        return true;
    }

    private void Written(List<OutboundItem> batch, IReadOnlyList<Task> acknowledgements)
    {
        queue.Taken(batch);
        var tracked = acknowledgements.Count > 0;
        for (var i = 0; i < batch.Count; i++)
        {
            queue.OnWritten(batch[i], tracked ? acknowledgements[i] : null);
        }
    }
}
