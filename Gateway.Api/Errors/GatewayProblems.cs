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
    public static ProblemHttpResult Validation(HttpContext httpContext, IDictionary<string, string[]> errors)
    {
        var problem = Create(httpContext, StatusCodes.Status400BadRequest, ProblemCodes.ValidationFailed,
            "The request is invalid: " + string.Join("; ", errors.Select(e => $"{e.Key} {string.Join(", ", e.Value)}")));
        problem.Extensions["errors"] = errors;
        return TypedResults.Problem(problem);
    }

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
