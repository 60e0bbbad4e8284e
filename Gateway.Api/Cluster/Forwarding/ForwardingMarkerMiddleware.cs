using Gateway.Api.Limits;

namespace Gateway.Api.Cluster.Forwarding;

/// <summary>
/// Checks a request's forwarding marker before the tenant rate limiter decides on it. A request with a marker that a
/// node of this cluster made for exactly this request was charged a token by that node (it authenticated, authorized
/// and rate-limited the caller's call before forwarding it), so it is marked <see cref="ChargedUpstream"/> and not
/// charged again here: otherwise a tenant whose calls land on a node that does not run the session would get half its
/// rate. Only a verified marker does this: a missing one changes nothing, and a forged, replayed-elsewhere or expired
/// one is charged like any request and then refused with 400 by <see cref="SessionForwardingMiddleware"/>.
/// </summary>
internal sealed class ForwardingMarkerMiddleware(RequestDelegate next, ForwardingMarker markers)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (ForwardingMarkerFeature.Verify(context, markers) == MarkerCheck.Valid)
        {
            ChargedUpstream.Mark(context);
        }

        return next(context);
    }
}
