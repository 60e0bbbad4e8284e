using Gateway.Api.Contracts;
using Gateway.Api.Errors;

namespace Gateway.Api.OpenApi;

/// <summary>Examples attached to an endpoint for the OpenAPI document (<see cref="ExamplesOperationFilter"/>).</summary>
/// <param name="Request">The request body example: an object (JSON) or a string (raw XML).</param>
/// <param name="Responses">Response body examples by status; problem responses without one get a default.</param>
internal sealed record EndpointExamples(object? Request, IReadOnlyDictionary<int, object> Responses);

/// <summary>Documentation helpers for endpoint definitions: summary, description, examples and problem responses in one call.</summary>
internal static class EndpointDocs
{
    /// <summary>Names, describes and gives examples for an operation. Every operation of the API calls this.</summary>
    public static RouteHandlerBuilder Documented(
        this RouteHandlerBuilder builder,
        string operationId,
        string summary,
        string description,
        object? requestExample = null,
        IReadOnlyDictionary<int, object>? responseExamples = null) =>
        builder
            .WithName(operationId)
            .WithSummary(summary)
            .WithDescription(description)
            .WithMetadata(new EndpointExamples(requestExample, responseExamples ?? new Dictionary<int, object>()));

    /// <summary>Documents problem-details responses (401 is added to every operation by the filter).</summary>
    public static RouteHandlerBuilder ProducesProblems(this RouteHandlerBuilder builder, params int[] statuses)
    {
        foreach (var status in statuses)
        {
            builder.Produces<GatewayProblemDetails>(status, GatewayProblems.ContentType);
        }

        return builder;
    }
}
