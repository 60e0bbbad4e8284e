using Gateway.Api.Endpoints.Sessions;

namespace Gateway.Api.Cluster.Forwarding;

/// <summary>
/// Which API routes are about one session and are forwarded to the node that runs it: every route at or below
/// <c>/api/v1/sessions/{id}</c>, every method, except
/// <list type="bullet">
/// <item><c>DELETE /api/v1/sessions/{id}</c>: removal goes through the session's grain from any node already;</item>
/// <item><c>/api/v1/sessions/{id}/events</c> and below: event streams are served by every node itself
/// (docs/scale-out.md, cross-node events), as is the SignalR hub, which is not under this path.</item>
/// </list>
/// </summary>
internal static class ForwardableRoutes
{
    private const string SessionRoute = SessionsApi.BasePath + "/{id}";
    private const string EventsRoute = SessionRoute + "/events";

    /// <summary>Whether a request matched to <paramref name="routePattern"/> with <paramref name="method"/> is forwarded.</summary>
    public static bool IsForwardable(string? routePattern, string method)
    {
        if (routePattern is null)
        {
            return false;
        }

        var pattern = Normalize(routePattern);
        if (!IsAtOrBelow(pattern, SessionRoute) || IsAtOrBelow(pattern, EventsRoute))
        {
            return false;
        }

        return !(pattern.Length == SessionRoute.Length && HttpMethods.IsDelete(method));
    }

    /// <summary>The session id of a forwardable request, from its matched endpoint; false for every other request.</summary>
    public static bool TryGetSessionId(HttpContext context, out string sessionId)
    {
        sessionId = "";
        if (context.GetEndpoint() is not RouteEndpoint endpoint ||
            !IsForwardable(endpoint.RoutePattern.RawText, context.Request.Method) ||
            context.Request.RouteValues["id"] is not string id)
        {
            return false;
        }

        sessionId = id;
        return true;
    }

    /// <summary>The session id of a <c>DELETE /api/v1/sessions/{id}</c> (not forwarded: removal goes through the grain).</summary>
    public static bool TryGetRemovedSessionId(HttpContext context, out string sessionId)
    {
        sessionId = "";
        if (!HttpMethods.IsDelete(context.Request.Method) ||
            context.GetEndpoint() is not RouteEndpoint endpoint ||
            !string.Equals(Normalize(endpoint.RoutePattern.RawText ?? ""), SessionRoute, StringComparison.OrdinalIgnoreCase) ||
            context.Request.RouteValues["id"] is not string id)
        {
            return false;
        }

        sessionId = id;
        return true;
    }

    private static string Normalize(string routePattern)
    {
        var pattern = routePattern.TrimEnd('/');
        return pattern.StartsWith('/') ? pattern : "/" + pattern;
    }

    private static bool IsAtOrBelow(string pattern, string route) =>
        pattern.StartsWith(route, StringComparison.OrdinalIgnoreCase) && (pattern.Length == route.Length || pattern[route.Length] == '/');
}
