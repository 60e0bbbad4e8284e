using System.Buffers;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool.Persistence;

namespace Gateway.Api.Persistence;

/// <summary>
/// Turns a <see cref="JournalBatch"/> into the rows every store writes (<see cref="CommitRows"/>): events encoded by
/// <see cref="SessionEventCodec"/> and sealed by <see cref="PayloadProtector"/>, the journal heads per session, outbox
/// stanzas sealed. Runs on the committing caller's thread (in parallel across callers), so a store's writer only runs SQL.
/// </summary>
internal sealed class JournalRowEncoder(PayloadProtector payloads, ILogger logger)
{
    /// <summary>A thread's encoding buffer is kept up to this size; a larger one (a huge stanza) is let go.</summary>
    private const int MaxKeptScratch = 64 * 1024;

    /// <summary>Per thread: encoding is synchronous.</summary>
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_scratch;

    private readonly PayloadProtector _payloads = payloads;
    private readonly ILogger _logger = logger;

    /// <summary>
    /// The batch's rows. An event the codec cannot encode is logged (5512) and skipped, but its id still counts for the
    /// journal head; a stanza that cannot be encoded throws.
    /// </summary>
    public CommitRows Encode(JournalBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var scratch = t_scratch ??= new ArrayBufferWriter<byte>(1_024);
        try
        {
            return new CommitRows(
                EncodeEvents(batch.Events, scratch),
                Heads(batch),
                EncodeAdditions(batch.OutboxAdditions, scratch),
                [.. batch.OutboxRemovals]);
        }
        finally
        {
            if (scratch.Capacity > MaxKeptScratch)
            {
                t_scratch = null;
            }
        }
    }

    private EventRow[] EncodeEvents(List<Xmpp.Pool.SessionEvent> events, ArrayBufferWriter<byte> scratch)
    {
        if (events.Count == 0)
        {
            return [];
        }

        var rows = new EventRow[events.Count];
        var count = 0;
        foreach (var sessionEvent in events)
        {
            try
            {
                scratch.ResetWrittenCount();
                SessionEventCodec.Encode(sessionEvent, scratch);
                rows[count++] = new EventRow(
                    sessionEvent.Tenant,
                    sessionEvent.SessionId,
                    sessionEvent.EventId,
                    sessionEvent.ReceivedAt.UtcTicks,
                    SessionEventCodec.KindOf(sessionEvent),
                    _payloads.Protect(sessionEvent.Tenant, sessionEvent.SessionId, scratch.WrittenSpan),
                    IndexedId(sessionEvent));
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or FormatException or System.Xml.XmlException or XmppException)
            {
                // The pool retries a failed commit forever: refusing the batch would stall every session's events.
                PersistenceLog.EventNotStorable(_logger, sessionEvent.EventId, sessionEvent.Tenant, sessionEvent.SessionId, sessionEvent.GetType().Name, ex.GetType().Name);
            }
        }

        return count == rows.Length ? rows : rows[..count];
    }

    /// <summary>What the event is about, for the lookups that need no decryption: a status event's message, a received message's archive id.</summary>
    private static string? IndexedId(Xmpp.Pool.SessionEvent sessionEvent) => sessionEvent switch
    {
        Xmpp.Pool.MessageStatusChanged status => status.Status.MessageId,
        Xmpp.Pool.MessageReceived received => received.ArchiveId,
        _ => null,
    };

    private OutboxRow[] EncodeAdditions(List<OutboxEntry> entries, ArrayBufferWriter<byte> scratch)
    {
        if (entries.Count == 0)
        {
            return [];
        }

        var rows = new OutboxRow[entries.Count];
        for (var i = 0; i < rows.Length; i++)
        {
            var entry = entries[i];
            var serialized = entry.SerializedStanza.Span;
            if (serialized.IsEmpty)
            {
                scratch.ResetWrittenCount();
                SessionEventCodec.EncodeStanza(entry.Stanza, scratch);
                serialized = scratch.WrittenSpan;
            }

            rows[i] = new OutboxRow(
                entry.Tenant,
                entry.SessionId,
                entry.StanzaId,
                entry.AcceptedAt.UtcTicks,
                entry.WaitForAck,
                _payloads.Protect(entry.Tenant, entry.SessionId, serialized),
                entry.ArchiveCursor);
        }

        return rows;
    }

    /// <summary>Per session of the batch: its highest event id (0 when it has none) and its last archive cursor (null when none).</summary>
    private static HeadRow[] Heads(JournalBatch batch)
    {
        if (batch.Events.Count == 0 && batch.ArchiveCursors.Count == 0)
        {
            return [];
        }

        var heads = new List<HeadRow>(1);
        Dictionary<(string Tenant, string Session), int>? index = null;
        foreach (var sessionEvent in batch.Events)
        {
            var i = IndexOf(sessionEvent.Tenant, sessionEvent.SessionId);
            heads[i] = heads[i] with { LastEventId = Math.Max(heads[i].LastEventId, sessionEvent.EventId) };
        }

        foreach (var cursor in batch.ArchiveCursors)
        {
            var i = IndexOf(cursor.Tenant, cursor.SessionId);
            heads[i] = heads[i] with { ArchiveCursor = cursor.ArchiveId };
        }

        return [.. heads];

        // A batch is usually one session, or runs of a few: look at the last one first, search a short list, and
        // index a long one.
        int IndexOf(string tenant, string sessionId)
        {
            if (index is not null)
            {
                if (!index.TryGetValue((tenant, sessionId), out var found))
                {
                    index[(tenant, sessionId)] = found = heads.Count;
                    heads.Add(new HeadRow(tenant, sessionId, 0, null));
                }

                return found;
            }

            for (var i = heads.Count - 1; i >= 0; i--)
            {
                if (heads[i].SessionId == sessionId && heads[i].Tenant == tenant)
                {
                    return i;
                }
            }

            heads.Add(new HeadRow(tenant, sessionId, 0, null));
            if (heads.Count > 8)
            {
                index = [];
                for (var i = 0; i < heads.Count; i++)
                {
                    index[(heads[i].Tenant, heads[i].SessionId)] = i;
                }
            }

            return heads.Count - 1;
        }
    }
}

/// <summary>What one <see cref="IPoolStore.CommitAsync"/> writes, ready for a store's writer.</summary>
internal sealed record CommitRows(EventRow[] Events, HeadRow[] Heads, OutboxRow[] Additions, OutboxKey[] Removals)
{
    /// <summary>Statements it takes, for the size of a group.</summary>
    public int Count => Events.Length + Heads.Length + Additions.Length + Removals.Length;
}

/// <summary>An encoded, sealed event; <c>MessageId</c> is what it is about (a status event's message id, a received message's archive id: indexed), otherwise null.</summary>
internal readonly record struct EventRow(string Tenant, string SessionId, long EventId, long ReceivedAtTicks, string Kind, string Data, string? MessageId);

internal readonly record struct HeadRow(string Tenant, string SessionId, long LastEventId, string? ArchiveCursor);

internal readonly record struct OutboxRow(string Tenant, string SessionId, string StanzaId, long AcceptedAtTicks, bool WaitForAck, string Stanza, string? ArchiveCursor);
