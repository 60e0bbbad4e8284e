using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.Api.Diagnostics;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Routing;

namespace Gateway.Api.Errors;

/// <summary>
/// Error handling and the JSON contract: problem details everywhere (exceptions, empty status codes, binding
/// failures), strict JSON (unknown or duplicate fields and nulls for required values are refused), bounded bodies.
/// </summary>
public static class GatewayErrors
{
    public static IServiceCollection AddGatewayErrorHandling(this IServiceCollection services)
    {
        services.AddProblemDetails();
        services.AddExceptionHandler<XmppExceptionHandler>();
        services.ConfigureHttpJsonOptions(options => Configure(options.SerializerOptions));

        // Binding failures (malformed JSON, a wrong content type, a missing body) throw BadHttpRequestException, so
        // the exception handler answers them with the reader's own explanation instead of an empty 400.
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        return services;
    }

    /// <summary>The API's JSON rules; tests deserialize with the same.</summary>
    public static void Configure(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        options.AllowDuplicateProperties = false;
        options.RespectNullableAnnotations = true;
        options.NumberHandling = JsonNumberHandling.Strict;
    }

    /// <summary>
    /// Request logging (outermost, so it sees the final status), the exception handler, problem details for
    /// body-less error statuses (401, 404, 405, 415…), and the body limit.
    /// </summary>
    public static IApplicationBuilder UseGatewayErrorHandling(this IApplicationBuilder app)
    {
        app.UseMiddleware<RequestLoggingMiddleware>();
        app.UseExceptionHandler();
        app.UseStatusCodePages(context => GatewayProblems.WriteAsync(context.HttpContext, GatewayProblems.ForStatus(context.HttpContext, context.HttpContext.Response.StatusCode)));
        app.UseMiddleware<RequestBodyLimitMiddleware>();
        return app;
    }
}
