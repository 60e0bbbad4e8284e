namespace Gateway.Xmpp.Pool;

/// <summary>Where a sent stanza stands in time and in the account's archive, for finding it there when its fate is unknown.</summary>
/// <param name="AcceptedAt">When the gateway accepted it (by the gateway's clock).</param>
/// <param name="ArchiveCursor">The newest archive id the session had seen when it accepted it; null when none was known.</param>
internal readonly record struct SentPosition(DateTimeOffset AcceptedAt, string? ArchiveCursor);
