using Gateway.Xmpp.Pool;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Configuration;

/// <summary>Registers the gateway's options: bound from <c>Gateway</c>, validated at start-up.</summary>
public static class GatewayConfiguration
{
    /// <summary>
    /// Binds <see cref="GatewayOptions"/> (with <c>Gateway:Pool</c> into <see cref="SessionPoolOptions"/>), validates it
    /// at start-up, and registers the <see cref="SessionPoolOptions"/> snapshot with the trusted certificates loaded.
    /// </summary>
    public static IServiceCollection AddGatewayOptions(this IServiceCollection services)
    {
        services.AddOptions<GatewayOptions>()
            .BindConfiguration(GatewayOptions.Section)
            .Configure<IConfiguration>((options, configuration) =>
                options.TrustedCertificatePaths = configuration.GetSection($"{SessionPoolOptions.Section}:TrustedCertificatePaths").Get<List<string>>() ?? [])
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>();

        // SessionPoolOptions is an immutable record: build the snapshot once, certificates included.
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<GatewayOptions>>().Value;
            return options.TrustedCertificatePaths.Count == 0
                ? options.Pool
                : options.Pool with { TrustedCertificates = TrustedCertificates.LoadAll(options.TrustedCertificatePaths) };
        });
        return services;
    }
}
