namespace Gateway.Api.Cluster.Forwarding;

/// <summary>
/// What a request's forwarding marker said, checked once per request and kept as a request feature: the marker's
/// middleware checks it before the rate limiter (<see cref="ForwardingMarkerMiddleware"/>), the forwarding middleware
/// acts on it after. The header itself is removed when checked: endpoints never see it.
/// </summary>
internal sealed record ForwardingMarkerFeature(MarkerCheck Check)
{
    /// <summary>The request's marker check, made now (and the header removed) unless it was made earlier in this request.</summary>
    public static MarkerCheck Verify(HttpContext context, ForwardingMarker markers)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(markers);
        if (context.Features.Get<ForwardingMarkerFeature>() is { } known)
        {
            return known.Check;
        }

        var request = context.Request;
        var check = markers.Check(request.Headers[ForwardingMarker.HeaderName], request.Method, PathAndQuery(request));
        request.Headers.Remove(ForwardingMarker.HeaderName);
        context.Features.Set(new ForwardingMarkerFeature(check));
        return check;
    }

    /// <summary>What the marker binds: the path and query as this node decoded them (the owner decodes the same).</summary>
    public static string PathAndQuery(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Path.Value + request.QueryString.Value;
    }
}
