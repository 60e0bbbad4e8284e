// XEP-0059: Result Set Management (v1.0) https://xmpp.org/extensions/xep-0059.html
using Gateway.Api.Contracts;
using Gateway.Xmpp.Pool;

namespace Gateway.Api.Endpoints.History;

/// <summary>Turns an archive page into the API's page: items in the order asked for, and where the next page starts.</summary>
internal static class HistoryPages
{
    /// <param name="results">The page as the server sent it (oldest first).</param>
    /// <param name="request">What was asked.</param>
    /// <param name="seal">Makes the cursor for an RSM id; null in, null out.</param>
    public static HistoryPageDto ToDto(ArchiveResults results, HistoryRequest request, Func<string?, string?> seal)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(request);
        var messages = results.Messages;

        // An empty page that claims more would send a client round in circles: it ends the read.
        var complete = results.Page.Complete || messages.Count == 0;

        // XEP-0059 §2.2/§2.4: the next page forwards starts after the page's last id; backwards it ends before its
        // first. The ids come from the <set/> of the answer, or else from the results themselves.
        var next = complete ? null
            : request.Filter.NewestFirst ? results.Page.First ?? messages[0].ArchiveId
            : results.Page.Last ?? messages[^1].ArchiveId;
        var items = messages.Select(StanzaMapper.ToDto);
        return new HistoryPageDto([.. request.Filter.NewestFirst ? items.Reverse() : items], seal(next), complete);
    }
}
