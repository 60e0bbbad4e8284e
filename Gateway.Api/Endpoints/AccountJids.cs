using Gateway.Xmpp;

namespace Gateway.Api.Endpoints;

/// <summary>JIDs the account endpoints take from the URL or the query. Pure.</summary>
internal static class AccountJids
{
    /// <summary>Any valid JID (XEP-0191 blocks bare, full and domain JIDs alike).</summary>
    public static Jid? Parse(string? value, string field, Dictionary<string, string[]> errors)
    {
        if (Jid.TryParse(value, out var jid, out var error))
        {
            return jid;
        }

        errors[field] = [$"is not a valid JID: {error ?? "it is empty"}"];
        return null;
    }

    /// <summary>The optional <c>jid</c> query parameter of a profile read: null for the account itself, else a bare JID.</summary>
    public static bool TryParseOwner(string? value, out Jid? owner, out Dictionary<string, string[]> errors)
    {
        errors = [];
        owner = null;
        if (string.IsNullOrEmpty(value))
        {
            return true;
        }

        owner = Parse(value, "jid", errors)?.Bare;
        return owner is not null;
    }
}
