using Gateway.Api.Diagnostics;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Net.Http.Headers;

namespace Gateway.Api.Errors;

/// <summary>
/// The one exception handler: turns every exception that reaches the pipeline into problem details
/// (<see cref="ExceptionProblems"/>). Only a bug gives a 500, logged at Error.
/// </summary>
internal sealed class XmppExceptionHandler(ILogger<XmppExceptionHandler> logger) : IExceptionHandler
{
    /// <summary>nginx's "client closed request": logged, never seen by anyone.</summary>
    private const int ClientClosedRequest = 499;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && httpContext.RequestAborted.IsCancellationRequested)
        {
            Log.RequestAborted(logger, httpContext.Request.Method, RequestRoute.Describe(httpContext));
            httpContext.Response.StatusCode = ClientClosedRequest;
            return true;
        }

        var mapping = MapAndLog(logger, httpContext, exception);
        var problem = GatewayProblems.FromMapping(httpContext, mapping);
        if (mapping.RetryAfter is { } retryAfter)
        {
            httpContext.Response.Headers[HeaderNames.RetryAfter] = RetryAfterSeconds(retryAfter);
        }

        httpContext.Response.StatusCode = mapping.Status;
        await GatewayProblems.WriteAsync(httpContext, problem);
        return true;
    }

    /// <summary>
    /// What <paramref name="exception"/> becomes over HTTP, logged as such: a bug (unmapped: 500) at Error, an
    /// upstream failure (5xx) at Warning, a refusal at Debug. Also used for each refused message of a batch.
    /// </summary>
    internal static ProblemMapping MapAndLog(ILogger logger, HttpContext httpContext, Exception exception)
    {
        var mapping = ExceptionProblems.Map(exception);
        if (mapping is null)
        {
            Log.UnhandledException(logger, httpContext.Request.Method, RequestRoute.Describe(httpContext), exception);
            return new ProblemMapping(StatusCodes.Status500InternalServerError, ProblemCodes.InternalError,
                "The gateway failed unexpectedly; quote the traceId when reporting it.");
        }

        if (mapping.Status >= 500)
        {
            Log.UpstreamFailure(logger, httpContext.Request.Method, RequestRoute.Describe(httpContext), mapping.Status, mapping.Code, exception.GetType().Name);
        }
        else
        {
            Log.RequestRejected(logger, httpContext.Request.Method, RequestRoute.Describe(httpContext), mapping.Status, mapping.Code);
        }

        return mapping;
    }

    /// <summary>The <c>Retry-After</c> header value (<see cref="GatewayProblems.RetryAfterSeconds"/>).</summary>
    internal static string RetryAfterSeconds(TimeSpan delay) =>
        GatewayProblems.RetryAfterSeconds(delay).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
