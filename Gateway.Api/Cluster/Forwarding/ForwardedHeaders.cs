using System.Collections.Frozen;
using Microsoft.Extensions.Primitives;

namespace Gateway.Api.Cluster.Forwarding;

/// <summary>
/// Which headers cross a forwarding hop. Everything the caller sent crosses (its API key or Authorization, its
/// Idempotency-Key, content headers), except the hop-by-hop headers of RFC 9110 §7.6.1 (and any header the
/// <c>Connection</c> header names), <c>Host</c> (the owner's own), the forwarding marker (set anew by the forwarding
/// node, <see cref="ForwardingMarker"/>) and the trace context (the forwarding node's own span is the parent; its
/// HTTP client sends it). The answer crosses back the same way.
/// </summary>
internal static class ForwardedHeaders
{
    /// <summary>RFC 9110 §7.6.1, plus the de-facto <c>Proxy-Connection</c> and <c>Keep-Alive</c> (RFC 9112 §9.6).</summary>
    private static readonly FrozenSet<string> HopByHop = FrozenSet.Create(StringComparer.OrdinalIgnoreCase,
        "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization", "TE", "Trailer",
        "Transfer-Encoding", "Upgrade");

    /// <summary>Request headers the forwarding node sets itself (or the HTTP client does).</summary>
    private static readonly FrozenSet<string> SetByForwarder = FrozenSet.Create(StringComparer.OrdinalIgnoreCase,
        "Host", ForwardingMarker.HeaderName, "traceparent", "tracestate", "baggage", "Request-Id", "Correlation-Context");

    /// <summary>Whether a request header of the caller is sent on to the owner.</summary>
    public static bool IsForwardedRequestHeader(string name, StringValues connection) =>
        !HopByHop.Contains(name) && !SetByForwarder.Contains(name) && !IsNamedBy(connection, name);

    /// <summary>Whether a response header of the owner is sent back to the caller (the server sets its own framing).</summary>
    public static bool IsReturnedResponseHeader(string name, StringValues connection) =>
        !HopByHop.Contains(name) && !IsNamedBy(connection, name);

    /// <summary>Copies the caller's headers onto the request to the owner (content headers onto its content, if any).</summary>
    public static void CopyToRequest(IHeaderDictionary source, HttpRequestMessage target)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        var connection = source.Connection;
        foreach (var (name, values) in source)
        {
            if (!IsForwardedRequestHeader(name, connection))
            {
                continue;
            }

            if (!target.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
            {
                target.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }
    }

    /// <summary>Copies the owner's response headers (message and content headers) onto the answer to the caller.</summary>
    public static void CopyToResponse(HttpResponseMessage source, IHeaderDictionary target)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        var connection = new StringValues(source.Headers.TryGetValues("Connection", out var tokens) ? tokens.ToArray() : []);
        foreach (var (name, values) in source.Headers.Concat(source.Content.Headers))
        {
            if (IsReturnedResponseHeader(name, connection))
            {
                target[name] = values.ToArray();
            }
        }
    }

    /// <summary>Whether the <c>Connection</c> header lists <paramref name="name"/> as hop-by-hop (RFC 9110 §7.6.1).</summary>
    private static bool IsNamedBy(StringValues connection, string name)
    {
        foreach (var value in connection)
        {
            foreach (var token in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (string.Equals(token, name, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
