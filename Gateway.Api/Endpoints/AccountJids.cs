using Gateway.Api.Contracts;
using Gateway.Xmpp;

namespace Gateway.Api.Endpoints;

/// <summary>JIDs the account endpoints take from the URL or the query. Pure.</summary>
internal static class AccountJids
{
    /// <summary>The optional <c>jid</c> query parameter of a profile read: null for the account itself, else a bare JID.</summary>
    public static bool TryParseOwner(string? value, out Jid? owner, out Dictionary<string, string[]> errors)
    {
        errors = [];
        owner = null;
        if (string.IsNullOrEmpty(value))
        {
            return true;
        }

        owner = RequestMapper.RequiredJid(value, "jid", errors)?.Bare;
        return owner is not null;
    }
}
