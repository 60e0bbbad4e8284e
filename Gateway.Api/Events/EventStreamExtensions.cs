namespace Gateway.Api.Events;

/// <summary>Wires the server-sent event streams: <c>services.AddGatewayEventStreams()</c>.</summary>
public static class EventStreamExtensions
{
    /// <summary>
    /// Registers the streams' options (<c>Gateway:EventStreams</c>) and their registry, which follows the pool's live
    /// events as an <see cref="ISessionEventObserver"/> and ends the streams of revoked keys.
    /// </summary>
    public static IServiceCollection AddGatewayEventStreams(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptionsWithValidateOnStart<EventStreamOptions, EventStreamOptionsValidator>().BindConfiguration(EventStreamOptions.Section);
        services.AddSingleton<EventStreamRegistry>();
        services.AddSingleton<ISessionEventObserver>(sp => sp.GetRequiredService<EventStreamRegistry>());
        services.AddSingleton<Auth.IApiKeyRevocationListener>(sp => sp.GetRequiredService<EventStreamRegistry>());
        return services;
    }
}
