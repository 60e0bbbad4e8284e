// XEP-0313: Message Archive Management (v1.1.1) https://xmpp.org/extensions/xep-0313.html
namespace Gateway.Xmpp.Pool;

/// <summary>Reads pages of the archives a session can see: its account's own, and rooms' (XEP-0313 §4, §5).</summary>
public interface IArchiveHistory
{
    /// <summary>The most results one page may ask for.</summary>
    int MaxPageSize { get; }

    /// <summary>
    /// One page of <see cref="ArchiveQuery.Archive"/> (null: the account's own archive), oldest first as the server
    /// sent it, with the RSM end that says where the next one starts (XEP-0059).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="ArchiveQuery.Max"/> is not within 1..<see cref="MaxPageSize"/>.</exception>
    /// <exception cref="StanzaErrorException">The archive refused the query (forbidden, item-not-found, no MAM …).</exception>
    /// <exception cref="XmppTimeoutException">The server did not answer in time.</exception>
    /// <exception cref="SessionUnavailableException">The session is not online.</exception>
    Task<ArchiveResults> QueryAsync(ArchiveQuery query, CancellationToken cancellationToken = default);
}

/// <summary>One page of an archive: its messages (oldest first, at most what was asked for) and where it ends.</summary>
public sealed record ArchiveResults(IReadOnlyList<ArchivedMessage> Messages, ArchivePage Page);
