using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Api.Errors;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Gateway.Api.OpenApi;

/// <summary>
/// Completes every operation: request and response examples (serialized with the API's own JSON options, so they
/// show exactly what goes over the wire), a default problem example for each error status, the 401 every call can
/// get, and the <c>Location</c> and <c>Retry-After</c> headers.
/// </summary>
internal sealed class ExamplesOperationFilter(IOptions<JsonOptions> jsonOptions) : IOperationFilter
{
    private readonly JsonSerializerOptions _json = jsonOptions.Value.SerializerOptions;

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var examples = context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<EndpointExamples>().FirstOrDefault();
        if (examples?.Request is { } request && operation.RequestBody?.Content is { } content)
        {
            foreach (var mediaType in content.Values.OfType<OpenApiMediaType>())
            {
                mediaType.Example = WithoutNulls(ToNode(request));
            }
        }

        operation.Responses ??= [];
        AddProblemResponse(operation, context, "401", "Unauthorized");

        // Every API operation needs a scope and spends the tenant's request budget (Auth/ScopeAuthorization, Limits/).
        var defaults = new Dictionary<int, object>();
        if (context.ApiDescription.RelativePath?.StartsWith("api/", StringComparison.Ordinal) == true)
        {
            if (AddProblemResponse(operation, context, "403", "Forbidden"))
            {
                defaults[403] = Examples.Make(403, ProblemCodes.Forbidden, "This API key lacks the 'send' scope this operation needs (Gateway:Tenants:…:ApiKeys:…:Scopes).");
            }

            if (AddProblemResponse(operation, context, "429", "Too Many Requests"))
            {
                defaults[429] = Examples.Make(429, ProblemCodes.RateLimited, "This tenant made more requests than its rate limit allows (1000 at once, 500 more every 1 s; Gateway:RateLimits). Retry after the Retry-After delay.") with { RetryAfter = 1 };
            }
        }

        foreach (var (code, response) in operation.Responses)
        {
            if (response is not OpenApiResponse openApiResponse || !int.TryParse(code, out var status))
            {
                continue;
            }

            object? example = null;
            examples?.Responses.TryGetValue(status, out example);
            example ??= defaults.GetValueOrDefault(status);
            if (example is null && status >= 400)
            {
                example = Examples.Problem(status);
            }

            if (example is not null && openApiResponse.Content is { } responseContent)
            {
                foreach (var mediaType in responseContent.Values.OfType<OpenApiMediaType>())
                {
                    mediaType.Example = ToNode(example);
                }
            }

            AddHeaders(status, openApiResponse);
        }
    }

    private static bool AddProblemResponse(OpenApiOperation operation, OperationFilterContext context, string status, string description) =>
        operation.Responses!.TryAdd(status, new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, IOpenApiMediaType>
            {
                [GatewayProblems.ContentType] = new OpenApiMediaType
                {
                    Schema = context.SchemaGenerator.GenerateSchema(typeof(Contracts.GatewayProblemDetails), context.SchemaRepository),
                },
            },
        });

    private static void AddHeaders(int status, OpenApiResponse response)
    {
        if (status == StatusCodes.Status201Created)
        {
            response.Headers ??= new Dictionary<string, IOpenApiHeader>();
            response.Headers[HeaderNames.Location] = new OpenApiHeader
            {
                Description = "The URL of the new session.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            };
        }

        if (status is StatusCodes.Status429TooManyRequests or StatusCodes.Status503ServiceUnavailable)
        {
            response.Headers ??= new Dictionary<string, IOpenApiHeader>();
            response.Headers[HeaderNames.RetryAfter] = new OpenApiHeader
            {
                Description = "Seconds to wait before retrying (RFC 9110 §10.2.3): sent with outbound-queue-full and with a session that is reconnecting.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.Integer },
            };
        }
    }

    /// <summary>Request examples show only what a caller sends: optional fields left out rather than null, at any depth.</summary>
    private static JsonNode? WithoutNulls(JsonNode? node)
    {
        if (node is JsonObject fields)
        {
            foreach (var (name, value) in fields.ToList())
            {
                if (value is null)
                {
                    fields.Remove(name);
                }
                else
                {
                    WithoutNulls(value);
                }
            }
        }
        else if (node is JsonArray items)
        {
            foreach (var item in items)
            {
                WithoutNulls(item);
            }
        }

        return node;
    }

    private JsonNode? ToNode(object example)
    {
        if (example is string text)
        {
            return JsonValue.Create(text);
        }

        var node = JsonSerializer.SerializeToNode(example, example.GetType(), _json);
        if (example is Contracts.GatewayProblemDetails problem && node is JsonObject fields)
        {
            // As on the wire: extension fields appear only when they apply; the three XMPP fields always together.
            foreach (var (name, value) in fields.ToList())
            {
                var xmppField = name.StartsWith("xmpp", StringComparison.Ordinal) && problem.XmppCondition is not null;
                if (value is null && !xmppField)
                {
                    fields.Remove(name);
                }
            }
        }

        return node;
    }
}
