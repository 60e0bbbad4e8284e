using System.Diagnostics;

namespace Gateway.Api.Diagnostics;

/// <summary>
/// The gateway's own request log line, replacing ASP.NET's hosting diagnostics (silenced by
/// <see cref="SecretSafeLogging"/>) because those print the full URL, <c>access_token</c> included. Logs the route
/// template and a redacted query (<see cref="RequestRoute"/>). Health probes log at Debug.
/// </summary>
internal sealed class RequestLoggingMiddleware(RequestDelegate next, ILogger<RequestLoggingMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext httpContext)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(httpContext);
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var route = RequestRoute.Describe(httpContext);
            if (httpContext.Request.Path.StartsWithSegments("/health"))
            {
                Log.ProbeCompleted(logger, httpContext.Request.Method, route, httpContext.Response.StatusCode, elapsed);
            }
            else if (logger.IsEnabled(LogLevel.Information))
            {
                Log.RequestCompleted(logger, httpContext.Request.Method, route, RequestRoute.RedactedQuery(httpContext.Request), httpContext.Response.StatusCode, elapsed);
            }
        }
    }
}
