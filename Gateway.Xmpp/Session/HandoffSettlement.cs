using Gateway.Xmpp.StreamManagement;

namespace Gateway.Xmpp.Session;

/// <summary>
/// Settles what an earlier stream left unacknowledged (<see cref="StreamHandoff"/>) on a new connection. XEP-0198 §5:
/// after resuming, the server's 'h' says which of the earlier stream's stanzas it handled; those are acknowledged and
/// the rest sent again. After a new bind the 'h' of &lt;failed/&gt; says the same when the server still knew the old
/// stream; when it does not, a <see cref="HandledStanzaLookup"/> may tell which ones the server has (e.g. from its
/// archive), and everything else is sent again (a recipient can still tell repeats apart by their XEP-0359 origin-id).
/// </summary>
internal static class HandoffSettlement
{
    /// <param name="connection">The new connection (what the lookup queries).</param>
    /// <param name="writer">Writes the resent stanzas on it.</param>
    /// <param name="resumed">Whether the new connection resumed the old stream.</param>
    /// <param name="streamManaged">Whether the new stream has XEP-0198 (without it, resent stanzas can never be acknowledged).</param>
    /// <param name="handoff">What the old stream left.</param>
    /// <param name="previousStreamHandled">The server's 'h' for the old stream (&lt;resumed/&gt; or &lt;failed/&gt;), if it gave one.</param>
    /// <param name="lookupHandled">Asked when the server gave no 'h'; null resends everything.</param>
    /// <param name="cancellationToken">Cancels settling.</param>
    public static async Task SettleAsync(IXmppConnection connection, StanzaWriter writer, bool resumed, bool streamManaged, StreamHandoff handoff, uint? previousStreamHandled, HandledStanzaLookup? lookupHandled, CancellationToken cancellationToken)
    {
        var pending = handoff.Unacked;
        var skip = 0;
        if (previousStreamHandled is { } handled)
        {
            var acknowledged = unchecked(handled - handoff.OutboundAcked);
            if (acknowledged <= (uint)pending.Count)
            {
                skip = (int)acknowledged;
            }
            else if (resumed)
            {
                // XEP-0198 §5: a count beyond what was sent (or behind what was already acknowledged) is an error.
                throw new XmppProtocolException(StreamErrorCondition.UndefinedCondition,
                    $"handled-count-too-high: the server says it handled {handled} stanzas of the resumed stream, but {handoff.OutboundAcked} were acknowledged and {pending.Count} more sent.");
            }
        }

        for (var i = 0; i < skip; i++)
        {
            pending[i].Acknowledged.TrySetResult();
        }

        var rest = pending.Skip(skip).ToList();
        if (rest.Count > 0 && !resumed && previousStreamHandled is null && lookupHandled is not null)
        {
            var found = await lookupHandled(connection, [.. rest.Select(p => p.Stanza)], cancellationToken).ConfigureAwait(false);
            foreach (var known in rest.Where(p => p.Stanza.Id is { } id && found.Contains(id)))
            {
                known.Acknowledged.TrySetResult();
            }

            rest.RemoveAll(p => p.Stanza.Id is { } id && found.Contains(id));
        }

        if (rest.Count == 0)
        {
            return;
        }

        if (!streamManaged)
        {
            await writer.WriteBatchAsync([.. rest.Select(p => p.Stanza)], null, requestAcknowledgement: false, cancellationToken).ConfigureAwait(false);
            foreach (var unacknowledgeable in rest)
            {
                unacknowledgeable.Acknowledged.TrySetException(new XmppConnectionException("The stanza was sent again on a stream without XEP-0198, so the server cannot acknowledge it."));
            }

            return;
        }

        await writer.WriteBatchAsync([.. rest.Select(p => p.Stanza)], [.. rest.Select(p => p.Acknowledged)], requestAcknowledgement: true, cancellationToken).ConfigureAwait(false);
    }
}
