using Gateway.Api.Auth;
using Gateway.Api.Configuration;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;

namespace Gateway.Api.OpenApi;

/// <summary>
/// The OpenAPI document (Swashbuckle) at <c>/swagger/v1/swagger.json</c> and Swagger UI at <c>/swagger</c>, both
/// anonymous, served in Development or when <c>Gateway:Http:EnableSwagger</c> is true. <c>openapi/gateway.v1.json</c> is the checked-in copy; a test fails when they drift.
/// </summary>
public static class GatewayOpenApi
{
    public const string DocumentName = "v1";
    public const string DocumentPath = "/swagger/v1/swagger.json";

    public static IServiceCollection AddGatewayOpenApi(this IServiceCollection services)
    {
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(options =>
        {
            options.SwaggerDoc(DocumentName, new OpenApiInfo
            {
                Title = "XMPP-HTTP Gateway",
                Version = DocumentName,
                Description =
                    "Drive XMPP accounts over HTTP: open pooled sessions that the gateway keeps online, send messages, " +
                    "presence, IQs and raw stanzas, manage rosters. Events (received messages, presence, roster pushes, IQ " +
                    "requests, state changes) arrive over the SignalR hub at `/hubs/xmpp`.\n\n" +
                    "**Authentication**: every call carries an API key in the `X-Api-Key` header (the hub also takes it as " +
                    "the `access_token` query parameter). A key belongs to a tenant; a tenant sees only its own sessions, and " +
                    "another tenant's session answers 404 like an unknown one.\n\n" +
                    "**Errors**: RFC 9457 problem details (`application/problem+json`) everywhere, with a stable `code` and a " +
                    "`traceId`; failures that come from XMPP add `xmppCondition`, `xmppErrorType` and `xmppText`. " +
                    "`Retry-After` accompanies 429 and transient 503s.\n\n" +
                    "**JSON**: camelCase; unknown fields are refused (400); bodies are limited to 1 MiB (413), a message batch's " +
                    "to 8 MiB.",
            });
            options.AddSecurityDefinition(ApiKeyDefaults.Scheme, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = ApiKeyDefaults.HeaderName,
                Description = "The tenant's API key. The gateway stores only its SHA-256 hash (Gateway:Tenants:N:ApiKeySha256).",
            });
            options.AddSecurityRequirement(document => new OpenApiSecurityRequirement
            {
                [new OpenApiSecuritySchemeReference(ApiKeyDefaults.Scheme, document)] = [],
            });
            options.IncludeXmlComments(typeof(GatewayOpenApi).Assembly);
            options.SupportNonNullableReferenceTypes();
            options.OperationFilter<ExamplesOperationFilter>();

            // A batch item's problem is written from the same ProblemDetails as every error response: document it so.
            options.MapType<ProblemDetails>(() => new OpenApiSchemaReference(nameof(Contracts.GatewayProblemDetails)));
        });
        return services;
    }

    /// <summary>Serves both only where <see cref="GatewayHttpOptions.EnableSwagger"/> says (unset: in Development only).</summary>
    public static IApplicationBuilder UseGatewayOpenApi(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var enabled = app.ApplicationServices.GetRequiredService<IOptions<GatewayHttpOptions>>().Value.EnableSwagger
                      ?? app.ApplicationServices.GetRequiredService<IHostEnvironment>().IsDevelopment();
        if (!enabled)
        {
            return app;
        }

        app.UseSwagger();
        app.UseSwaggerUI(options =>
        {
            options.SwaggerEndpoint(DocumentPath, "XMPP-HTTP Gateway v1");
            options.RoutePrefix = "swagger";
            options.DocumentTitle = "XMPP-HTTP Gateway";
        });
        return app;
    }
}
