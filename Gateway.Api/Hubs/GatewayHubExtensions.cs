using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Hubs;

/// <summary>Wires the SignalR hub into the app: <c>services.AddGatewayHub()</c> and <c>app.MapGatewayHub()</c>.</summary>
public static class GatewayHubExtensions
{
    private const string DispatcherLogCategory = "Microsoft.AspNetCore.SignalR.Internal.DefaultHubDispatcher";

    /// <summary>
    /// Registers SignalR, the hub's options (<c>Gateway:Hub</c>), its error filter, its lifetime manager (SignalR's, which
    /// also records connections in the <see cref="HubConnectionRegistry"/>) and the dispatcher that drains
    /// <see cref="Xmpp.Pool.ISessionPool.ReadEventsAsync"/> to subscribed connections. Expects an <see cref="Xmpp.Pool.ISessionPool"/>
    /// and the ApiKey authentication to be registered by the caller.
    /// </summary>
    public static IServiceCollection AddGatewayHub(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptionsWithValidateOnStart<GatewayHubOptions, GatewayHubOptionsValidator>().BindConfiguration(GatewayHubOptions.Section);
        services.AddSingleton<HubErrorFilter>();
        services.AddSignalR().AddHubOptions<GatewayHub>(hub => hub.AddFilter<HubErrorFilter>());
        services.AddOptions<HubOptions<GatewayHub>>().Configure<IOptions<GatewayHubOptions>>((hub, gateway) =>
        {
            hub.StatefulReconnectBufferSize = gateway.Value.StatefulReconnectBufferSize;
            hub.MaximumReceiveMessageSize = gateway.Value.MaximumReceiveMessageSize;
        });
        // A closed type outranks AddSignalR's open-generic DefaultHubLifetimeManager<> for this hub only.
        services.AddSingleton<HubConnectionRegistry>();
        services.AddSingleton<Auth.IApiKeyRevocationListener>(sp => sp.GetRequiredService<HubConnectionRegistry>());
        services.AddSingleton<HubLifetimeManager<GatewayHub>, GatewayHubLifetimeManager>();
        services.AddSingleton<SessionEventDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<SessionEventDispatcher>());
        services.AddSingleton<IPostConfigureOptions<LoggerFilterOptions>, CapDispatcherErrors>();
        return services;
    }

    /// <summary>
    /// Maps the hub at <c>/hubs/xmpp</c> (<see cref="GatewayHub.Path"/>) with stateful reconnect allowed and without
    /// the transport's own send timeout (see <see cref="ConfigureConnection"/>).
    /// </summary>
    public static HubEndpointConventionBuilder MapGatewayHub(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return endpoints.MapHub<GatewayHub>(GatewayHub.Path, ConfigureConnection);
    }

    /// <remarks>
    /// The transport's send timeout gives every WebSocket frame a cancellable token, and a send with one takes
    /// <see cref="System.Net.WebSockets.WebSocket"/>'s slow path (an awaited lock, a state machine) plus a locked
    /// start and stop of the timeout around it: in a fan-out to a thousand subscribers, about 6% of the gateway's CPU
    /// per delivery (docs/benchmarks.md). A connection that stops reading is closed without it: the dispatcher bounds
    /// every event write (<see cref="GatewayHubOptions.SendTimeout"/>, tested end to end), and SignalR closes a client it
    /// has not heard from within its client timeout.
    /// </remarks>
    private static void ConfigureConnection(HttpConnectionDispatcherOptions options)
    {
        options.AllowStatefulReconnects = true;
        options.TransportSendTimeout = Timeout.InfiniteTimeSpan;
    }

    /// <summary>
    /// SignalR logs every failed hub method at Error ("Failed to invoke hub method"), a client's unknown session id as
    /// much as a crash, which would page operators for client mistakes. Every hub method runs inside
    /// <see cref="HubErrorFilter"/>, which logs refusals at Debug (5108) and bugs at Error (5109) with the exception,
    /// so the dispatcher's category is capped. A post-configuration, like SecretSafeLogging's: a rule naming a provider
    /// outranks any rule that does not, so the cap is added for every provider named, plus one for all others.
    /// </summary>
    private sealed class CapDispatcherErrors : IPostConfigureOptions<LoggerFilterOptions>
    {
        public void PostConfigure(string? name, LoggerFilterOptions options)
        {
            var providers = options.Rules.Select(r => r.ProviderName).Append(null).Distinct().ToList();
            for (var i = options.Rules.Count - 1; i >= 0; i--)
            {
                if (options.Rules[i].CategoryName?.StartsWith(DispatcherLogCategory, StringComparison.Ordinal) == true)
                {
                    options.Rules.RemoveAt(i);
                }
            }

            foreach (var provider in providers)
            {
                options.Rules.Add(new LoggerFilterRule(provider, DispatcherLogCategory, LogLevel.Critical, filter: null));
            }
        }
    }
}
