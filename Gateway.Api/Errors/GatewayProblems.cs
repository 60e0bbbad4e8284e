using System.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;

namespace Gateway.Api.Errors;

/// <summary>
/// Builds every error response of the gateway: RFC 9457 problem details with <c>code</c> and <c>traceId</c>, plus the
/// XMPP fields when the failure came from XMPP. One place, so every error has the same shape.
/// </summary>
internal static class GatewayProblems
{
    public const string ContentType = "application/problem+json";

    public static ProblemDetails Create(HttpContext httpContext, int status, string code, string detail)
    {
        var problem = new ProblemDetails
        {
            Status = status,
            Title = ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "Error",
            Detail = detail,
        };
        problem.Extensions["code"] = code;
        problem.Extensions["traceId"] = Activity.Current?.Id ?? httpContext.TraceIdentifier;
        return problem;
    }

    public static ProblemHttpResult Result(HttpContext httpContext, int status, string code, string detail) =>
        TypedResults.Problem(Create(httpContext, status, code, detail));

    /// <summary>400 with the offending fields, keyed by JSON name.</summary>
    public static ProblemHttpResult Validation(HttpContext httpContext, IDictionary<string, string[]> errors) =>
        TypedResults.Problem(CreateValidation(httpContext, errors));

    /// <summary>The problem of <see cref="Validation"/>, for embedding (a batch item's outcome).</summary>
    public static ProblemDetails CreateValidation(HttpContext httpContext, IDictionary<string, string[]> errors)
    {
        var problem = Create(httpContext, StatusCodes.Status400BadRequest, ProblemCodes.ValidationFailed,
            "The request is invalid: " + string.Join("; ", errors.Select(e => $"{e.Key} {string.Join(", ", e.Value)}")));
        problem.Extensions["errors"] = errors;
        return problem;
    }

    /// <summary>
    /// The problem for a mapped exception (<see cref="ExceptionProblems"/>): the XMPP fields (all three together) when
    /// XMPP said no, <c>sessionState</c>, and <c>retryAfter</c> in seconds when the caller should wait (the
    /// <c>Retry-After</c> header carries the same for a whole response; a batch item has only this field).
    /// </summary>
    public static ProblemDetails FromMapping(HttpContext httpContext, ProblemMapping mapping)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        var problem = Create(httpContext, mapping.Status, mapping.Code, mapping.Detail);
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
            problem.Extensions["retryAfter"] = RetryAfterSeconds(retryAfter);
        }

        return problem;
    }

    /// <summary>RFC 9110 §10.2.3: delay-seconds, a non-negative integer; rounded up so a client never retries early.</summary>
    public static long RetryAfterSeconds(TimeSpan delay) => Math.Max(1, (long)Math.Ceiling(delay.TotalSeconds));

    /// <summary>
    /// The <c>type</c> URI ASP.NET Core's problem details defaults give a status (RFC 9110's section; none for 429),
    /// for problems embedded in a response body, which the framework does not complete.
    /// </summary>
    public static string? TypeFor(int status) => status switch
    {
        400 => "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        401 => "https://tools.ietf.org/html/rfc9110#section-15.5.2",
        403 => "https://tools.ietf.org/html/rfc9110#section-15.5.4",
        404 => "https://tools.ietf.org/html/rfc9110#section-15.5.5",
        405 => "https://tools.ietf.org/html/rfc9110#section-15.5.6",
        409 => "https://tools.ietf.org/html/rfc9110#section-15.5.10",
        413 => "https://tools.ietf.org/html/rfc9110#section-15.5.14",
        415 => "https://tools.ietf.org/html/rfc9110#section-15.5.16",
        422 => "https://tools.ietf.org/html/rfc9110#section-15.5.21",
        500 => "https://tools.ietf.org/html/rfc9110#section-15.6.1",
        501 => "https://tools.ietf.org/html/rfc9110#section-15.6.2",
        502 => "https://tools.ietf.org/html/rfc9110#section-15.6.3",
        503 => "https://tools.ietf.org/html/rfc9110#section-15.6.4",
        504 => "https://tools.ietf.org/html/rfc9110#section-15.6.5",
        _ => null,
    };

    /// <summary>404 for an unknown session, and for another tenant's: ids of other tenants cannot be probed.</summary>
    public static ProblemHttpResult SessionNotFound(HttpContext httpContext, string id) =>
        Result(httpContext, StatusCodes.Status404NotFound, ProblemCodes.SessionNotFound, $"There is no session '{Truncate(id)}' for this API key.");

    public static Task WriteAsync(HttpContext httpContext, ProblemDetails problem) =>
        TypedResults.Problem(problem).ExecuteAsync(httpContext);

    /// <summary>The problem for a response that has a status but no body (routing, authentication, the framework).</summary>
    public static ProblemDetails ForStatus(HttpContext httpContext, int status) => status switch
    {
        StatusCodes.Status401Unauthorized => Create(httpContext, status, ProblemCodes.Unauthorized, $"Send a valid API key in the {Auth.ApiKeyDefaults.HeaderName} header."),
        StatusCodes.Status403Forbidden => Create(httpContext, status, ProblemCodes.Forbidden, "The API key does not allow this request."),
        StatusCodes.Status404NotFound => Create(httpContext, status, ProblemCodes.NotFound, "No resource at this path; the API is described at /swagger."),
        StatusCodes.Status405MethodNotAllowed => Create(httpContext, status, ProblemCodes.MethodNotAllowed, $"{Truncate(httpContext.Request.Method)} is not allowed on this path; the API is described at /swagger."),
        StatusCodes.Status413PayloadTooLarge => Create(httpContext, status, ProblemCodes.PayloadTooLarge, "The request body is too large."),
        StatusCodes.Status415UnsupportedMediaType => Create(httpContext, status, ProblemCodes.UnsupportedMediaType, "This content type is not accepted here: send application/json (or application/xmpp+xml for raw stanzas)."),
        _ => Create(httpContext, status, status >= 500 ? ProblemCodes.InternalError : ProblemCodes.BadRequest, ReasonPhrases.GetReasonPhrase(status)),
    };

    /// <summary>Caller input echoed in a detail is cut short, so a huge value cannot inflate error responses.</summary>
    public static string Truncate(string value, int max = 80) => value.Length <= max ? value : string.Concat(value.AsSpan(0, max), "…");
}
