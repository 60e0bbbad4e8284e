using Gateway.Xmpp.Pool.Persistence;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Persistence;

/// <summary>Registers the embedded store: <c>services.AddGatewayPersistence(builder.Configuration)</c>.</summary>
public static class GatewayPersistenceExtensions
{
    /// <summary>The Data Protection application name: keys are only shared with apps that use the same name.</summary>
    public const string DataProtectionApplicationName = "xmpp-http-gateway";

    /// <summary>
    /// Registers <see cref="GatewayStorageOptions"/> (<c>Gateway:Storage</c>, validated at start-up), Data Protection with
    /// its key ring persisted in <see cref="GatewayStorageOptions.KeysPath"/> and encrypted with the certificate of
    /// <see cref="GatewayDataProtectionOptions"/> (<c>Gateway:DataProtection</c>, validated at start-up), one SQLite store as singleton
    /// <see cref="IPoolStore"/> and its parts (<see cref="ISessionStore"/>, <see cref="IEventLog"/>, <see cref="IOutbox"/>),
    /// and the hosted service that trims the event log.
    /// Relative paths are resolved against the content root.
    /// </summary>
    public static IServiceCollection AddGatewayPersistence(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<GatewayStorageOptions>()
            .Bind(configuration.GetSection(GatewayStorageOptions.Section))
            .PostConfigure<IServiceProvider>((options, provider) =>
                ResolvePaths(options, provider.GetService<IHostEnvironment>()?.ContentRootPath ?? AppContext.BaseDirectory))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GatewayStorageOptions>, GatewayStorageOptionsValidator>());

        services.AddOptions<GatewayDataProtectionOptions>()
            .Bind(configuration.GetSection(GatewayDataProtectionOptions.Section))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GatewayDataProtectionOptions>, GatewayDataProtectionOptionsValidator>());

        // PersistKeysToFileSystem, with the directory known once the options are bound: the key ring must outlive
        // the process, or every stored session becomes unreadable at the next start.
        var dataProtection = services.AddDataProtection().SetApplicationName(DataProtectionApplicationName);

        // Read now: ProtectKeysWithCertificate is the only public way to register the certificate for decryption as
        // well. A certificate that does not load is left to the validator, which stops the start with its reason.
        var protection = configuration.GetSection(GatewayDataProtectionOptions.Section).Get<GatewayDataProtectionOptions>();
        if (protection is not null && KeyRingCertificate.TryLoad(protection, out _) is { } certificate)
        {
            dataProtection.ProtectKeysWithCertificate(certificate);
        }

        services.AddOptions<KeyManagementOptions>().Configure<IOptions<GatewayStorageOptions>, ILoggerFactory>((keys, storage, loggerFactory) =>
        {
            var directory = SqliteGatewayStore.CreateOwnerOnlyDirectory(storage.Value.KeysPath!);
            keys.XmlRepository = new FileSystemXmlRepository(new DirectoryInfo(directory), loggerFactory);
        });

        services.TryAddSingleton(provider => new SqliteGatewayStore(
            provider.GetRequiredService<IOptions<GatewayStorageOptions>>().Value,
            provider.GetRequiredService<IDataProtectionProvider>(),
            provider.GetRequiredService<ILogger<SqliteGatewayStore>>()));
        services.TryAddSingleton<IPoolStore>(provider => provider.GetRequiredService<SqliteGatewayStore>());
        services.TryAddSingleton<ISessionStore>(provider => provider.GetRequiredService<SqliteGatewayStore>());
        services.TryAddSingleton<IEventLog>(provider => provider.GetRequiredService<SqliteGatewayStore>());
        services.TryAddSingleton<IOutbox>(provider => provider.GetRequiredService<SqliteGatewayStore>());
        services.AddHostedService<EventLogTrimService>();
        return services;
    }

    /// <summary>Makes <see cref="GatewayStorageOptions.Path"/> and <see cref="GatewayStorageOptions.KeysPath"/> absolute.</summary>
    internal static void ResolvePaths(GatewayStorageOptions options, string contentRoot)
    {
        if (string.IsNullOrWhiteSpace(options.Path))
        {
            // Left for the validator to report.
            return;
        }

        options.Path = Path.GetFullPath(options.Path, contentRoot);
        options.KeysPath = string.IsNullOrWhiteSpace(options.KeysPath)
            ? Path.Combine(Path.GetDirectoryName(options.Path)!, "keys")
            : Path.GetFullPath(options.KeysPath, contentRoot);
    }
}
