using Gateway.Xmpp.Diagnostics;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Gateway.Api.Telemetry;

/// <summary>
/// Metrics, traces and the console log's shape (docs/observability.md): <c>services.AddGatewayTelemetry(configuration)</c>,
/// then <c>app.UseGatewayTelemetry()</c> early in the pipeline, and <c>.WithSessionLogScope()</c> on the sessions group.
/// </summary>
public static class GatewayTelemetry
{
    /// <summary>The standard variable (OpenTelemetry SDK environment specification) that also turns the OTLP exporter on.</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>
    /// Registers the options (validated at start-up), the API's meter, the JSON console format when chosen, and
    /// OpenTelemetry only when something exports: the Prometheus endpoint or an OTLP endpoint. Without either no
    /// SDK listens, and the instruments cost next to nothing.
    /// </summary>
    public static IServiceCollection AddGatewayTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptionsWithValidateOnStart<GatewayTelemetryOptions, GatewayTelemetryOptionsValidator>().BindConfiguration(GatewayTelemetryOptions.Section);
        services.AddOptionsWithValidateOnStart<GatewayLoggingOptions, GatewayLoggingOptionsValidator>().BindConfiguration(GatewayLoggingOptions.Section);
        services.AddSingleton<GatewayApiMetrics>();
        AddLogFormat(services);

        // Which exporters exist is decided here, from the same configuration the validator checks at start-up.
        var telemetry = configuration.GetSection(GatewayTelemetryOptions.Section).Get<GatewayTelemetryOptions>() ?? new GatewayTelemetryOptions();
        var otlpFromOptions = !string.IsNullOrWhiteSpace(telemetry.Otlp.Endpoint);
        var otlp = otlpFromOptions || !string.IsNullOrWhiteSpace(configuration[OtlpEndpointVariable]);
        if (!telemetry.Prometheus.Enabled && !otlp)
        {
            return services;
        }

        var builder = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(string.IsNullOrWhiteSpace(telemetry.ServiceName) ? "xmpp-http-gateway" : telemetry.ServiceName))
            .WithMetrics(metrics =>
            {
                metrics
                    .AddMeter(XmppTelemetry.MeterName, GatewayApiMetrics.MeterName)
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation();
                if (telemetry.Prometheus.Enabled)
                {
                    metrics.AddPrometheusExporter();
                }

                if (otlp)
                {
                    metrics.AddOtlpExporter(exporter => ConfigureOtlp(exporter, telemetry.Otlp, otlpFromOptions, "v1/metrics"));
                }
            });
        if (otlp)
        {
            // Traces go only where a tracer can receive them: the scrape endpoint carries metrics alone.
            builder.WithTracing(tracing => tracing
                .AddSource(XmppTelemetry.ActivitySourceName)
                .AddAspNetCoreInstrumentation(aspNetCore => aspNetCore.Filter = context =>
                    !context.Request.Path.StartsWithSegments(GatewayPrometheusOptions.Path) && !context.Request.Path.StartsWithSegments("/health"))
                .AddHttpClientInstrumentation()
                .AddOtlpExporter(exporter => ConfigureOtlp(exporter, telemetry.Otlp, otlpFromOptions, "v1/traces")));
        }

        return services;
    }

    /// <summary>
    /// Makes the API's instruments exist from the start (not at the first send), and with Prometheus on, serves
    /// <c>GET /metrics</c> behind the scrape token (<see cref="ScrapeTokens"/>); off, the path answers 404.
    /// </summary>
    public static WebApplication UseGatewayTelemetry(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Services.GetRequiredService<GatewayApiMetrics>();
        if (app.Services.GetRequiredService<IOptions<GatewayTelemetryOptions>>().Value.Prometheus.Enabled)
        {
            app.UseWhen(context => context.Request.Path.StartsWithSegments(GatewayPrometheusOptions.Path), scrape => scrape.UseMiddleware<ScrapeTokens>());
            app.MapPrometheusScrapingEndpoint(GatewayPrometheusOptions.Path);
        }

        return app;
    }

    /// <summary>Puts <see cref="SessionLogScopeFilter"/> on every endpoint of the group.</summary>
    public static RouteGroupBuilder WithSessionLogScope(this RouteGroupBuilder group) => group.AddEndpointFilter<SessionLogScopeFilter>();

    /// <summary><c>Gateway:Logging:Format=json</c>: the built-in JSON console formatter, with scopes and UTC timestamps.</summary>
    private static void AddLogFormat(IServiceCollection services)
    {
        // Read from IConfiguration, not the validated options: the console logger exists before start-up validation
        // runs, and an invalid value must fail that validation with its message, not the logger's creation.
        services.AddOptions<ConsoleLoggerOptions>().Configure<IConfiguration>((console, configuration) =>
        {
            if (IsJson(configuration))
            {
                console.FormatterName = ConsoleFormatterNames.Json;
            }
        });
        services.AddOptions<JsonConsoleFormatterOptions>().Configure<IConfiguration>((json, configuration) =>
        {
            if (IsJson(configuration))
            {
                json.IncludeScopes = true;
                json.UseUtcTimestamp = true;
                json.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ";
            }
        });

        static bool IsJson(IConfiguration configuration) =>
            string.Equals(configuration[$"{GatewayLoggingOptions.Section}:Format"], GatewayLoggingOptions.Json, StringComparison.Ordinal);
    }

    private static void ConfigureOtlp(OtlpExporterOptions exporter, GatewayOtlpOptions options, bool fromOptions, string signalPath)
    {
        if (!fromOptions)
        {
            // OTEL_EXPORTER_OTLP_* variables configure the exporter themselves.
            return;
        }

        var endpoint = new Uri(options.Endpoint!);
        if (options.Protocol == "http/protobuf")
        {
            // An endpoint set in code is used as given: over HTTP each signal has its own path (OTLP/HTTP 1.0 §"OTLP/HTTP Request").
            exporter.Protocol = OtlpExportProtocol.HttpProtobuf;
            exporter.Endpoint = new Uri(endpoint, endpoint.AbsolutePath.TrimEnd('/') + "/" + signalPath);
        }
        else
        {
            exporter.Protocol = OtlpExportProtocol.Grpc;
            exporter.Endpoint = endpoint;
        }
    }
}
