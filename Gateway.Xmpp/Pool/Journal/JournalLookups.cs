namespace Gateway.Xmpp.Pool.Journal;

/// <summary>What a session may ask its journal's store about the past (beyond what it keeps in memory).</summary>
/// <param name="Status">The last delivery status journaled for a message the session sent; null when none.</param>
/// <param name="ReceivedArchiveId">Whether a received message with this archive id (XEP-0359 stanza-id by the account) is journaled.</param>
internal sealed record JournalLookups(
    Func<string, CancellationToken, Task<MessageStatus?>> Status,
    Func<string, CancellationToken, Task<bool>> ReceivedArchiveId);
