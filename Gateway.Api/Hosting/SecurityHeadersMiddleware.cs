using Gateway.Api.Hubs;

namespace Gateway.Api.Hosting;

/// <summary>
/// Puts the security headers on every response, errors and static files included: set when the response starts, so
/// the exception handler clearing headers, a 401 from authentication or a 404 from routing all carry them.
/// </summary>
internal sealed class SecurityHeadersMiddleware(RequestDelegate next)
{
    /// <summary>API, health, metrics and hub responses are data, never a page: nothing may load, nothing may frame them.</summary>
    internal const string DataPolicy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    /// <summary>
    /// The demo page (wwwroot): its own scripts and styles as files (no inline code), SignalR to the same origin
    /// (CSP Level 3: 'self' covers ws/wss of the same host), the data: favicon.
    /// </summary>
    internal const string PagePolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>Swagger UI sets inline styles and shows data: images; it is off outside Development unless enabled.</summary>
    internal const string SwaggerPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public Task InvokeAsync(HttpContext context)
    {
        context.Response.OnStarting(static state =>
        {
            Apply((HttpContext)state);
            return Task.CompletedTask;
        }, context);
        return next(context);
    }

    private static void Apply(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";

        // X-Frame-Options for browsers without CSP frame-ancestors.
        headers.XFrameOptions = "DENY";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        var path = context.Request.Path;
        headers.ContentSecurityPolicy =
            path.StartsWithSegments("/api") || path.StartsWithSegments("/health") || path.StartsWithSegments(Telemetry.GatewayPrometheusOptions.Path) || path.StartsWithSegments(GatewayHub.Path) ? DataPolicy
            : path.StartsWithSegments("/swagger") ? SwaggerPolicy
            : PagePolicy;
    }
}
