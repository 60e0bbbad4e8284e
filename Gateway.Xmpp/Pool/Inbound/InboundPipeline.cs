// XEP-0184: Message Delivery Receipts (v1.4.0) §5
// XEP-0198: Stream Management (v1.6.1) §4
using Gateway.Xmpp.Client;
using Gateway.Xmpp.Diagnostics;
using Gateway.Xmpp.Pool.Journal;

namespace Gateway.Xmpp.Pool;

/// <summary>
/// Everything a connection delivers, on its way into the session's journal: messages (through the archive catch-up's
/// admission and the deduplicator), their receipts and markers (delivery status of what we sent), presence and roster
/// pushes. A stanza counts as handled for XEP-0198 — the 'h' the server sees — only once what it produced is
/// committed, so a crash at any instant loses nothing the server believes delivered; receipts (XEP-0184: "delivered"
/// means it reached the gateway's journal) are sent at the same moment.
/// </summary>
/// <remarks>
/// Reads until the stream's incoming queue completes, so everything the server sent before the stream ended is
/// handled; then, before the stream's state is handed to the next connection, waits (bounded) until it is durable, so
/// the next stream's 'h' covers it and the server does not send it again. Back-pressure: when the journal is full this
/// stops reading, the connection's bounded queue fills, and the reader stops reading the socket.
/// </remarks>
/// <param name="journal">Where what arrives is published.</param>
/// <param name="delivery">Applies receipts and markers to what we sent.</param>
/// <param name="archive">Admits live messages (catch-up ordering).</param>
/// <param name="outbound">Where receipts are queued.</param>
/// <param name="time">The clock.</param>
/// <param name="rosterPushed">Also told every roster push, e.g. to keep the session's roster cache current.</param>
/// <param name="carbons">Unwraps XEP-0280 carbon copies and drops those not to be believed; null publishes wrappers as they are.</param>
/// <param name="presenceReceived">Also told every presence, e.g. to keep the contacts' presence.</param>
/// <param name="takeFirst">Offered every stanza first (the session's rooms); true when it took the stanza and published what it brings.</param>
/// <param name="metrics">Counts what arrives; null: nothing counted.</param>
/// <param name="answerBacklog">
/// How many stanzas may pile up behind a message that waits for the server's stanza-id answer before it goes on without
/// it (<see cref="IncomingBacklog"/>).
/// </param>
internal sealed class InboundPipeline(SessionJournal journal, DeliveryTracker delivery, ArchiveCatchUp archive, OutboundQueue outbound, TimeProvider time, Action<Iq>? rosterPushed = null, CarbonCopies? carbons = null, Action<Presence>? presenceReceived = null, Func<Stanza, CancellationToken, ValueTask<bool>>? takeFirst = null, XmppMetrics? metrics = null, int answerBacklog = InboundPipeline.DefaultAnswerBacklog) : IConnectionFeature
{
    /// <summary>As many stanzas as the connection's incoming queue holds by default: the answer is rarely further behind.</summary>
    public const int DefaultAnswerBacklog = 1_000;

    /// <summary>How long a finished connection waits for what it received to be durable before its state moves on.</summary>
    private static readonly TimeSpan DurableWait = TimeSpan.FromSeconds(5);

    /// <summary>The current connection's stanzas handled but not yet durable; null between connections.</summary>
    private Acknowledgements? _pending;

    public async Task RunAsync(ConnectionContext context, CancellationToken cancellationToken)
    {
        var pending = new Acknowledgements(context.Connection, outbound);
        Volatile.Write(ref _pending, pending);
        var incoming = new IncomingBacklog(context.Connection.Incoming, answerBacklog);
        while (await incoming.NextAsync(cancellationToken).ConfigureAwait(false) is { } stanza)
        {
            metrics?.Received(stanza);
            var receipt = await HandleAsync(context.Connection, stanza, incoming, cancellationToken).ConfigureAwait(false);
            pending.Handled(journal.Position, receipt);

            // Whatever it needed may be durable already (or it needed nothing): then no commit will come to release it.
            pending.Release(journal.DurablePosition);
        }
    }

    public async ValueTask OnDisconnectedAsync(ConnectionContext context, CancellationToken cancellationToken)
    {
        try
        {
            await journal.FlushAsync(cancellationToken).WaitAsync(DurableWait, time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException or ObjectDisposedException)
        {
            // Not durable in time: the next stream's 'h' does not cover the rest, so the server sends it again and the
            // deduplicator drops the repeats.
        }

        Volatile.Write(ref _pending, null);
    }

    /// <summary>The journal made entries durable up to <paramref name="position"/> (called on the journal's writer).</summary>
    public void OnDurable(long position) => Volatile.Read(ref _pending)?.Release(position);

    /// <summary>Publishes what the stanza brings; returns the receipt to send once that is durable, if it asked for one.</summary>
    private async ValueTask<Stanza?> HandleAsync(IXmppConnection connection, Stanza stanza, IncomingBacklog incoming, CancellationToken cancellationToken)
    {
        if (takeFirst is not null && await takeFirst(stanza, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        switch (stanza)
        {
            case Message received when carbons?.Classify(received, connection.Jid) is { Kind: not InboundKind.Plain } inbound:
                if (inbound.Kind == InboundKind.Carbon)
                {
                    // A copy was addressed to (or sent by) another client of the account: its receipts and markers say
                    // nothing about what this session sent, and that client answers its receipt requests (XEP-0280
                    // §10.4: copies are never auto-replied to).
                    await AnswerFirstAsync(inbound.Message, incoming, cancellationToken).ConfigureAwait(false);
                    await archive.AcceptLiveAsync(inbound.Message, inbound.Carbon, cancellationToken).ConfigureAwait(false);
                }

                return null;
            case Message message:
                await delivery.ApplyAsync(message, cancellationToken).ConfigureAwait(false);
                await AnswerFirstAsync(message, incoming, cancellationToken).ConfigureAwait(false);
                await archive.AcceptLiveAsync(message, cancellationToken).ConfigureAwait(false);
                // XEP-0184 §8: a receipt tells the sender we are online, so only those allowed to see our presence get one.
                return connection.MaySeePresence(message.From) ? ReceiptFor(message) : null;
            case Presence presence:
                presenceReceived?.Invoke(presence);
                await journal.WaitForCapacityAsync(cancellationToken).ConfigureAwait(false);
                journal.Publish(new PresenceReceived(journal.Tenant, journal.SessionId, 0, time.GetUtcNow(), presence), reserved: true);
                return null;
            case Iq iq:
                rosterPushed?.Invoke(iq);
                foreach (var item in iq.AsRosterPush())
                {
                    await journal.WaitForCapacityAsync(cancellationToken).ConfigureAwait(false);
                    journal.Publish(new RosterPushed(journal.Tenant, journal.SessionId, 0, time.GetUtcNow(), item), reserved: true);
                }

                return null;
            default:
                return null;
        }
    }

    /// <summary>
    /// XEP-0359 §4: when the message makes the stream ask whether the server stamps stanza-ids, waits for the answer before
    /// the message is judged, taking what arrives meanwhile off the connection's queue (the answer comes behind it; a
    /// full queue stops the reader). Not under any lock the reader or the archive catch-up needs. Gives up when the
    /// answer wait expires or the backlog is full: the message is judged with what is known, the answer applies later.
    /// </summary>
    private async ValueTask AnswerFirstAsync(Message message, IncomingBacklog incoming, CancellationToken cancellationToken)
    {
        if (archive.QuestionFor(message, cancellationToken) is { } question
            && !await incoming.WaitTakingAsync(question.Answered, question.Wait, cancellationToken).ConfigureAwait(false))
        {
            question.WentOnWithout(incoming.Count);
        }
    }

    /// <summary>
    /// XEP-0184 §5.1: a client that supports receipts answers a request on a message with an id (not on groupchat or
    /// error messages, §5.3).
    /// </summary>
    private static Message? ReceiptFor(Message message) =>
        message.Id is null || message.From is null || message.Type is MessageType.Error or MessageType.Groupchat || message.FindPayload(ReceiptElements.Request) is null
            ? null
            : new Message { To = message.From, Id = StanzaId.New(), Type = message.Type, Payload = [ReceiptElements.ReceivedFor(message.Id)] };

    /// <summary>One connection's stanzas in the order handled, each with the journal position that makes it durable.</summary>
    private sealed class Acknowledgements(IXmppConnection connection, OutboundQueue outbound)
    {
        private readonly Queue<(long Position, Stanza? Receipt)> _handled = new();
        private readonly object _gate = new();

        public void Handled(long position, Stanza? receipt)
        {
            lock (_gate)
            {
                _handled.Enqueue((position, receipt));
            }
        }

        public void Release(long durable)
        {
            var count = 0;
            List<Stanza>? receipts = null;
            lock (_gate)
            {
                while (_handled.TryPeek(out var next) && next.Position <= durable)
                {
                    _handled.Dequeue();
                    count++;
                    if (next.Receipt is { } receipt)
                    {
                        (receipts ??= []).Add(receipt);
                    }
                }
            }

            if (count > 0)
            {
                connection.AcknowledgeIncoming(count);
            }

            foreach (var receipt in receipts ?? [])
            {
                outbound.EnqueueReply(receipt);
            }
        }
    }
}
