using Gateway.Api.Events;
using Gateway.Api.Persistence;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Webhooks;

/// <summary>Registers the webhooks: <c>services.AddGatewayWebhooks()</c>, after the persistence.</summary>
public static class WebhookServiceCollectionExtensions
{
    /// <summary>
    /// <see cref="WebhookOptions"/> (<c>Gateway:Webhooks</c>, validated at start-up), the store, the HTTP client, the
    /// metrics, and the dispatcher as hosted service and as an <see cref="ISessionEventObserver"/>.
    /// </summary>
    public static IServiceCollection AddGatewayWebhooks(this IServiceCollection services)
    {
        services.AddOptionsWithValidateOnStart<WebhookOptions, WebhookOptionsValidator>().BindConfiguration(WebhookOptions.Section);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WebhookOptions>, WebhookOptionsCrossValidator>());
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<WebhookSecretProtector>();
        // Beside the gateway's store: in its PostgreSQL database when Gateway:Storage:Provider selects it, else its SQLite file.
        services.TryAddSingleton<SqliteWebhookStore>();
        services.TryAddSingleton<PostgresWebhookStore>();
        services.TryAddSingleton<IWebhookStore>(provider => GatewayPersistenceExtensions.IsPostgres(provider)
            ? provider.GetRequiredService<PostgresWebhookStore>()
            : provider.GetRequiredService<SqliteWebhookStore>());

        services.TryAddSingleton<WebhookHttpClient>();
        services.TryAddSingleton<WebhookMetrics>();
        services.TryAddSingleton<WebhookDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
        services.AddSingleton<ISessionEventObserver>(sp => sp.GetRequiredService<WebhookDispatcher>());
        return services;
    }
}
