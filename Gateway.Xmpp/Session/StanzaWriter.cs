using System.Buffers;
using Gateway.Xmpp.StreamManagement;
using Gateway.Xmpp.Transport;

namespace Gateway.Xmpp.Session;

/// <summary>
/// Writes stanzas to one stream: serialises them, counts them for XEP-0198 in wire order and asks for acknowledgements
/// when enough are outstanding. Every write of a stanza goes through here, so the sequence numbers the server counts
/// (XEP-0198 §4) are the ones this side counts; <paramref name="acks"/> decides when they go with a request.
/// </summary>
internal sealed class StanzaWriter(XmppTransport transport, StreamManagementState? streamManagement, AckRequestScheduler? acks, Action throwIfEnded)
{
    /// <summary>Writes one stanza; the task it returns completes when the server acknowledges it (null without XEP-0198).</summary>
    public async Task<Task?> WriteAsync(Stanza stanza, bool requestAcknowledgement, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stanza);
        var written = await WriteBatchAsync([stanza], null, requestAcknowledgement, cancellationToken).ConfigureAwait(false);
        return written.Count == 0 ? null : written[0];
    }

    /// <summary>
    /// Serialises every stanza first (a stanza XML cannot carry fails the call before anything is counted or written),
    /// then counts them for XEP-0198 in wire order under the write lock, and writes them, with an &lt;r/&gt; when asked,
    /// in one write. <paramref name="acknowledged"/>: the completions resent stanzas keep from an earlier stream;
    /// <paramref name="serialized"/>: bytes a caller serialised already (empty entries are serialised here).
    /// </summary>
    public async Task<IReadOnlyList<Task>> WriteBatchAsync(IReadOnlyList<Stanza> stanzas, IReadOnlyList<TaskCompletionSource>? acknowledged, bool requestAcknowledgement, CancellationToken cancellationToken, IReadOnlyList<ReadOnlyMemory<byte>>? serialized = null)
    {
        throwIfEnded();
        Task[] acknowledgements = streamManagement is null ? [] : new Task[stanzas.Count];
        var counted = false;
        var requested = false;
        try
        {
            await transport.SendAsync(
                (serializer, output) =>
                {
                    for (var i = 0; i < stanzas.Count; i++)
                    {
                        if (serialized is not null && !serialized[i].IsEmpty)
                        {
                            output.Write(serialized[i].Span);
                            continue;
                        }

                        try
                        {
                            output.Write(serializer.Serialize(stanzas[i]).Span);
                        }
                        catch (ArgumentException ex) when (stanzas.Count > 1)
                        {
                            throw new ArgumentException($"Stanza {i} of the batch ('{stanzas[i].Id}') cannot be sent: {ex.Message}", ex);
                        }
                    }

                    if (streamManagement is not null)
                    {
                        // Counted under the write lock, so sequence numbers follow the order on the wire (XEP-0198 §4).
                        for (var i = 0; i < stanzas.Count; i++)
                        {
                            acknowledgements[i] = streamManagement.OnSent(stanzas[i], acknowledged?[i]);
                        }

                        counted = true;

                        // Asked for, or enough unacknowledged to be worth confirming: a sender that never runs dry must
                        // still get acknowledgements, or its unacknowledged stanzas (and outbox) would only grow.
                        if (acks?.TryBeginWithWrite(requestAcknowledgement) ?? (requestAcknowledgement && streamManagement.TryBeginAckRequest()))
                        {
                            output.Write(serializer.Serialize(StreamManagementState.Request()).Span);
                            requested = true;
                        }
                    }
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (counted && ex is XmppConnectionException or OperationCanceledException)
        {
            // Counted, then the write failed: whether the server got the stanzas is unknown, and only XEP-0198 can tell
            // (the 'h' of a resumed stream, §5). So they stay unacknowledged, travel with the handoff, and the caller
            // learns it must not send them again.
            throw new XmppConnectionException(
                stanzas.Count == 1
                    ? $"The connection failed while stanza '{stanzas[0].Id}' was being written; it may or may not have reached the server."
                    : $"The connection failed while {stanzas.Count} stanzas were being written; they may or may not have reached the server.",
                ex,
                acknowledgements);
        }

        if (counted && !requested)
        {
            // No request went with them: one follows once the stream is quiet (or with a later write).
            acks?.Schedule();
        }

        return acknowledgements;
    }

    /// <summary>Sends &lt;r/&gt; (XEP-0198 §4) unless there is no stream management, nothing awaits acknowledgement, or a request is already out.</summary>
    public async Task RequestAcknowledgementAsync(CancellationToken cancellationToken)
    {
        if (streamManagement?.TryBeginAckRequest() == true)
        {
            await transport.SendAsync(s => s.Serialize(StreamManagementState.Request()), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes an element that is not a stanza (a XEP-0198 nonza): not counted.</summary>
    public Task WriteNonzaAsync(System.Xml.Linq.XElement element, CancellationToken cancellationToken) =>
        transport.SendAsync(s => s.Serialize(element), cancellationToken);
}
