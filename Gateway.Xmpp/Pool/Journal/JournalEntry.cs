using Gateway.Xmpp.Pool.Persistence;

namespace Gateway.Xmpp.Pool.Journal;

/// <summary>What a journal entry changes in the store.</summary>
internal enum JournalEntryKind
{
    /// <summary>An event to append (its id is assigned when the writer takes it).</summary>
    Event,

    /// <summary>An accepted stanza for the outbox, with its first status event when it has one.</summary>
    OutboxAddition,

    /// <summary>A stanza that left the outbox (acknowledged, or never to be sent).</summary>
    OutboxRemoval,

    /// <summary>The archive id up to which the session has accounted for every message it received.</summary>
    ArchiveCursor,
}

/// <summary>One change queued for the next group commit, with the session it belongs to.</summary>
internal sealed class JournalEntry
{
    private JournalEntry(SessionJournal owner, JournalEntryKind kind)
    {
        Owner = owner;
        Kind = kind;
    }

    public SessionJournal Owner { get; }

    public JournalEntryKind Kind { get; }

    /// <summary>The event (<see cref="JournalEntryKind.Event"/>, or the one that goes with an outbox addition); its id is set by the writer.</summary>
    public SessionEvent? Event { get; set; }

    public OutboxEntry? Outbox { get; private init; }

    /// <summary>The stanza id of a removal, or the archive id of a cursor.</summary>
    public string? Key { get; private init; }

    /// <summary>Adds what this entry changes to <paramref name="batch"/>, the group commit it goes out with.</summary>
    public void AddTo(JournalBatch batch)
    {
        if (Event is { } sessionEvent)
        {
            batch.Events.Add(sessionEvent);
        }

        switch (this)
        {
            case { Kind: JournalEntryKind.OutboxAddition, Outbox: { } added }:
                batch.OutboxAdditions.Add(added);
                break;
            case { Kind: JournalEntryKind.OutboxRemoval, Key: { } removed }:
                batch.OutboxRemovals.Add(new OutboxKey(Owner.Tenant, Owner.SessionId, removed));
                break;
            case { Kind: JournalEntryKind.ArchiveCursor, Key: { } cursor }:
                batch.ArchiveCursors.Add(new ArchiveCursor(Owner.Tenant, Owner.SessionId, cursor));
                break;
        }
    }

    /// <summary>Completes when the entry is durable (outbox additions, whose callers answer only then), or fails when it cannot be stored.</summary>
    public TaskCompletionSource? Durable { get; private init; }

    /// <summary>The owner's count of entries up to and including this one.</summary>
    public long Position { get; set; }

    /// <summary>Whether the entry holds a slot of the journal's capacity, given back once it is committed.</summary>
    public bool Reserved { get; set; }

    public static JournalEntry ForEvent(SessionJournal owner, SessionEvent sessionEvent) => new(owner, JournalEntryKind.Event) { Event = sessionEvent };

    public static JournalEntry ForOutboxAddition(SessionJournal owner, OutboxEntry entry, SessionEvent? alongside) => new(owner, JournalEntryKind.OutboxAddition)
    {
        Outbox = entry,
        Event = alongside,
        Durable = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously),
    };

    public static JournalEntry ForOutboxRemoval(SessionJournal owner, string stanzaId) => new(owner, JournalEntryKind.OutboxRemoval) { Key = stanzaId };

    public static JournalEntry ForArchiveCursor(SessionJournal owner, string archiveId) => new(owner, JournalEntryKind.ArchiveCursor) { Key = archiveId };
}
