using Gateway.Xmpp.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.Metrics;
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

    private const string DefaultServiceName = "xmpp-http-gateway";

    /// <summary>The name OpenTelemetry's metrics listener has in Microsoft.Extensions.Diagnostics' rules.</summary>
    private const string OpenTelemetryListener = "OpenTelemetry";

    /// <summary>
    /// Registers the options (validated at start-up), the API's meter, the JSON console format when chosen, and
    /// OpenTelemetry, which subscribes to the meters only when something exports: the Prometheus endpoint or an OTLP
    /// endpoint. Without either no SDK listens, and the instruments cost next to nothing.
    /// </summary>
    public static IServiceCollection AddGatewayTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptionsWithValidateOnStart<GatewayTelemetryOptions, GatewayTelemetryOptionsValidator>().BindConfiguration(GatewayTelemetryOptions.Section);
        services.AddOptionsWithValidateOnStart<GatewayLoggingOptions, GatewayLoggingOptionsValidator>().BindConfiguration(GatewayLoggingOptions.Section);
        services.AddSingleton<GatewayApiMetrics>();
        AddLogFormat(services);

        // The scrape endpoint's reader is always there, and reads only when /metrics is mapped (UseGatewayTelemetry, from
        // the validated options). The meters are enabled for OpenTelemetry's listener (Microsoft.Extensions.Diagnostics
        // rules) only when something exports: until then no listener is enabled on any instrument, and a Counter.Add
        // costs next to nothing. The OTLP exporter is decided here, from
        // the configuration the host was built with (appsettings, environment, command line).
        var otlpEndpoint = configuration[$"{GatewayTelemetryOptions.Section}:Otlp:Endpoint"];
        var otlpProtocol = configuration[$"{GatewayTelemetryOptions.Section}:Otlp:Protocol"];
        var otlp = !string.IsNullOrWhiteSpace(otlpEndpoint) || !string.IsNullOrWhiteSpace(configuration[OtlpEndpointVariable]);
        var serviceName = configuration[$"{GatewayTelemetryOptions.Section}:ServiceName"] is { Length: > 0 } configured ? configured : DefaultServiceName;
        services.AddOptions<MetricsOptions>().Configure<IOptions<GatewayTelemetryOptions>>((rules, options) =>
        {
            if (!otlp && !options.Value.Prometheus.Enabled)
            {
                return;
            }

            // Local: only the meters this host's IMeterFactory created (the pool's and the API's), not a same-named
            // meter of another pool or host in the process, whose instruments would shadow these (an exporter keeps
            // the first instrument of a name). The platform's meters are global.
            foreach (var meter in (string[])[XmppTelemetry.MeterName, GatewayApiMetrics.MeterName])
            {
                rules.EnableMetrics(meter, instrumentName: null, OpenTelemetryListener, MeterScope.Local);
            }

            // ASP.NET Core requests and Kestrel connections, HttpClient (uploads, webhooks), the runtime (GC, thread pool).
            foreach (var meter in (string[])["Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Net.Http", "System.Runtime"])
            {
                rules.EnableMetrics(meter, instrumentName: null, OpenTelemetryListener);
            }
        });
        var builder = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithMetrics(metrics =>
            {
                metrics.AddPrometheusExporter();
                if (otlp)
                {
                    metrics.AddOtlpExporter(exporter => ConfigureOtlp(exporter, otlpEndpoint, otlpProtocol, "v1/metrics"));
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
                .AddOtlpExporter(exporter => ConfigureOtlp(exporter, otlpEndpoint, otlpProtocol, "v1/traces")));
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
        var options = app.Services.GetRequiredService<IOptions<GatewayTelemetryOptions>>().Value;
        var otlp = options.Otlp.Endpoint ?? app.Configuration[OtlpEndpointVariable];
        TelemetryLog.Configured(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(GatewayTelemetry)),
            options.Prometheus.Enabled ? $"on at {GatewayPrometheusOptions.Path} (bearer token)" : "off",
            Uri.TryCreate(otlp, UriKind.Absolute, out var uri) ? $"to {uri.Scheme}://{uri.Authority}" : "off");
        if (options.Prometheus.Enabled)
        {
            app.UseWhen(context => context.Request.Path.StartsWithSegments(GatewayPrometheusOptions.Path), scrape => scrape.UseMiddleware<ScrapeTokens>());
            // Not a tenant's endpoint (the fallback policy wants an API key): the scrape token above guards it.
            app.MapPrometheusScrapingEndpoint(GatewayPrometheusOptions.Path).AllowAnonymous();
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
                json.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
            }
        });

        static bool IsJson(IConfiguration configuration) =>
            string.Equals(configuration[$"{GatewayLoggingOptions.Section}:Format"], GatewayLoggingOptions.Json, StringComparison.Ordinal);
    }

    private static void ConfigureOtlp(OtlpExporterOptions exporter, string? endpoint, string? protocol, string signalPath)
    {
        if (string.IsNullOrWhiteSpace(endpoint) || !Uri.TryCreate(endpoint, UriKind.Absolute, out var uri))
        {
            // OTEL_EXPORTER_OTLP_* variables configure the exporter themselves (an invalid endpoint fails validation).
            return;
        }

        if (protocol == "http/protobuf")
        {
            // An endpoint set in code is used as given: over HTTP each signal has its own path (OTLP/HTTP, "OTLP/HTTP Request").
            exporter.Protocol = OtlpExportProtocol.HttpProtobuf;
            exporter.Endpoint = new Uri(uri, uri.AbsolutePath.TrimEnd('/') + "/" + signalPath);
        }
        else
        {
            exporter.Protocol = OtlpExportProtocol.Grpc;
            exporter.Endpoint = uri;
        }
    }
}
