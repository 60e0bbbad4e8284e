using System.Diagnostics.CodeAnalysis;
using Gateway.Api.Auth;
using Gateway.Xmpp.Pool;

namespace Gateway.Api.Endpoints;

/// <summary>Finds the caller's session by id. A foreign session is not found, exactly like an unknown one.</summary>
internal static class SessionLookup
{
    public static bool TryFind(HttpContext httpContext, ISessionPool pool, string id, [NotNullWhen(true)] out IManagedSession? session)
    {
        session = pool.Find(httpContext.User.GetTenant(), id);
        return session is not null;
    }

    /// <summary>The <c>wait</c> query parameter: <c>queued</c> (default) or <c>server</c>.</summary>
    public static bool TryParseWait(string? value, out DeliveryWait wait)
    {
        (var ok, wait) = value switch
        {
            null or "" or "queued" => (true, DeliveryWait.Queued),
            "server" => (true, DeliveryWait.Server),
            _ => (false, DeliveryWait.Queued),
        };
        return ok;
    }

    /// <summary>The validation error for a bad <c>wait</c> (a new dictionary each time: callers may add to it).</summary>
    public static Dictionary<string, string[]> InvalidWait => new() { ["wait"] = ["must be queued or server"] };
}
