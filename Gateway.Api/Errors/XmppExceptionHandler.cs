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

        var mapping = ExceptionProblems.Map(exception);
        if (mapping is null)
        {
            Log.UnhandledException(logger, httpContext.Request.Method, RequestRoute.Describe(httpContext), exception);
            mapping = new ProblemMapping(StatusCodes.Status500InternalServerError, ProblemCodes.InternalError,
                "The gateway failed unexpectedly; quote the traceId when reporting it.");
        }
        else if (mapping.Status >= 500)
        {
            Log.UpstreamFailure(logger, httpContext.Request.Method, RequestRoute.Describe(httpContext), mapping.Status, mapping.Code, exception.GetType().Name);
        }
        else
        {
            Log.RequestRejected(logger, httpContext.Request.Method, RequestRoute.Describe(httpContext), mapping.Status, mapping.Code);
        }

        var problem = GatewayProblems.Create(httpContext, mapping.Status, mapping.Code, mapping.Detail);
        if (mapping.XmppCondition is not null)
        {
            problem.Extensions["xmppCondition"] = mapping.XmppCondition;
            problem.Extensions["xmppErrorType"] = mapping.XmppErrorType;
            problem.Extensions["xmppText"] = mapping.XmppText;
        }

        if (mapping.SessionState is not null)
        {
            problem.Extensions["sessionState"] = mapping.SessionState;
        }

        if (mapping.RetryAfter is { } retryAfter)
        {
            httpContext.Response.Headers[HeaderNames.RetryAfter] = RetryAfterSeconds(retryAfter);
        }

        httpContext.Response.StatusCode = mapping.Status;
        await GatewayProblems.WriteAsync(httpContext, problem);
        return true;
    }

    /// <summary>RFC 9110 §10.2.3: delay-seconds, a non-negative integer; rounded up so a client never retries early.</summary>
    internal static string RetryAfterSeconds(TimeSpan delay) =>
        Math.Max(1, (long)Math.Ceiling(delay.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
