namespace Gateway.Api.Diagnostics;

/// <summary>Describes a request for logs without the values that may identify people or carry secrets.</summary>
internal static class RequestRoute
{
    /// <summary>
    /// Query parameters whose values may be logged. Every other value is left out: the hub's <c>access_token</c>
    /// above all, but also anything a caller may put there by mistake.
    /// </summary>
    private static readonly HashSet<string> LoggableParameters = new(StringComparer.OrdinalIgnoreCase) { "wait" };

    /// <summary>
    /// The route template when an endpoint matched (<c>/api/v1/sessions/{id}/roster/{jid}</c>: no JIDs at
    /// Information), else the path with any segment that looks like an address masked.
    /// </summary>
    public static string Describe(HttpContext httpContext)
    {
        if (httpContext.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { } template })
        {
            return template.StartsWith('/') ? template : "/" + template;
        }

        var path = httpContext.Request.Path.Value ?? "/";
        if (path.Length > 200)
        {
            path = path[..200] + "…";
        }

        return path.Contains('@', StringComparison.Ordinal)
            ? string.Join('/', path.Split('/').Select(s => s.Contains('@', StringComparison.Ordinal) ? "{redacted}" : s))
            : path;
    }

    /// <summary>
    /// The query string for a log line: values of known harmless parameters, <c>[redacted]</c> for
    /// <c>access_token</c>, and only a count of any other parameter (a name can be a secret pasted by mistake).
    /// Empty when there is no query.
    /// </summary>
    public static string RedactedQuery(HttpRequest request)
    {
        if (request.Query.Count == 0)
        {
            return "";
        }

        var parts = new List<string>();
        var others = 0;
        foreach (var (name, values) in request.Query)
        {
            if (LoggableParameters.Contains(name))
            {
                parts.Add($"{name.ToLowerInvariant()}={Uri.EscapeDataString(Shorten(values.ToString()))}");
            }
            else if (string.Equals(name, Auth.ApiKeyDefaults.QueryParameter, StringComparison.OrdinalIgnoreCase))
            {
                parts.Add($"{Auth.ApiKeyDefaults.QueryParameter}=[redacted]");
            }
            else
            {
                others++;
            }
        }

        if (others > 0)
        {
            parts.Add($"[{others} other parameter{(others == 1 ? "" : "s")}]");
        }

        return "?" + string.Join('&', parts);
    }

    private static string Shorten(string value) => value.Length <= 64 ? value : value[..64] + "…";
}
