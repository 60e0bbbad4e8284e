namespace Gateway.Api.Contracts;

/// <summary>One page of an archive (XEP-0313), in the order asked for.</summary>
/// <param name="Items">
/// The archived messages in the shape of live <c>message</c> events, each with its archive id in <c>stanzaId</c> and
/// the time the server archived it in <c>delay</c>; newest first or oldest first as asked.
/// </param>
/// <param name="Next">Pass as <c>cursor</c> to get the next page (older ones newest first, newer ones oldest first); null when there is none.</param>
/// <param name="Complete">True when this page reaches the end of the archive (or of what the filters select) in this direction.</param>
public sealed record HistoryPageDto(IReadOnlyList<MessageDto> Items, string? Next, bool Complete);

/// <summary>
/// A history read over the hub (<c>GetHistory</c>, <c>GetRoomHistory</c>): the query parameters of
/// <c>GET …/history</c>, field for field.
/// </summary>
public sealed record HistoryRequestDto
{
    /// <summary>Own archive only: messages exchanged with this JID.</summary>
    public string? With { get; init; }

    /// <summary>Only messages archived at or after this instant (ISO 8601).</summary>
    public string? Start { get; init; }

    /// <summary>Only messages archived at or before this instant (ISO 8601).</summary>
    public string? End { get; init; }

    /// <summary>Items per page, 1–100 (default 50).</summary>
    public int? Limit { get; init; }

    /// <summary>newest (default) or oldest.</summary>
    public string? Order { get; init; }

    /// <summary>The previous page's <c>next</c>.</summary>
    public string? Cursor { get; init; }
}
