namespace Gateway.Xmpp.Protocol;

/// <summary>What <see cref="Utf8ElementParser.TryParse"/> made of its input.</summary>
internal enum ElementParseStatus
{
    /// <summary>The element is complete and its tree built.</summary>
    Complete,

    /// <summary>The input ended inside the element, and nothing before that end was out of the fast path's reach:
    /// the same bytes plus more may complete it. Nothing the reference path's scanner refuses was seen.</summary>
    Incomplete,

    /// <summary>Malformed, restricted or merely unusual: only the reference path may decide.</summary>
    Declined,
}
