using Gateway.Api.Persistence.Postgres;
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
    /// its key ring persisted in <see cref="GatewayStorageOptions.KeysPath"/> (or, with
    /// <see cref="GatewayStorageProvider.Postgres"/>, in the database) and encrypted with the certificate of
    /// <see cref="GatewayDataProtectionOptions"/> (<c>Gateway:DataProtection</c>, validated at start-up), one store
    /// (SQLite, or PostgreSQL as <see cref="GatewayStorageOptions.Provider"/> says) as singleton
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

        // The key ring must outlive the process, or every stored session becomes unreadable at the next start: it is
        // persisted by the store's provider (below), once the options are bound.
        var dataProtection = services.AddDataProtection().SetApplicationName(DataProtectionApplicationName);

        // Read now: ProtectKeysWithCertificate is the only public way to register the certificate for decryption as
        // well. A certificate that does not load is left to the validator, which stops the start with its reason.
        var protection = configuration.GetSection(GatewayDataProtectionOptions.Section).Get<GatewayDataProtectionOptions>();
        if (protection is not null && KeyRingCertificate.TryLoad(protection, out _) is { } certificate)
        {
            dataProtection.ProtectKeysWithCertificate(certificate);
        }

        // The provider is read now: it decides which services exist. A value that does not bind is left to the
        // options binder, which stops the start naming the setting.
        var storage = configuration.GetSection(GatewayStorageOptions.Section);
        if (Enum.TryParse<GatewayStorageProvider>(storage[nameof(GatewayStorageOptions.Provider)], ignoreCase: true, out var provider)
            && provider == GatewayStorageProvider.Postgres)
        {
            AddPostgresStore(services);
        }
        else
        {
            AddSqliteStore(services);
        }

        services.AddHostedService<EventLogTrimService>();
        return services;
    }

    /// <summary>The SQLite file: the key ring in <see cref="GatewayStorageOptions.KeysPath"/>, one store of this process.</summary>
    private static void AddSqliteStore(IServiceCollection services)
    {
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
    }

    /// <summary>
    /// The PostgreSQL database (<see cref="GatewayStorageOptions.ConnectionString"/>), shared by every node: the key ring
    /// in its <c>data_protection_keys</c> table, so every node reads what another sealed.
    /// </summary>
    private static void AddPostgresStore(IServiceCollection services)
    {
        services.TryAddSingleton(provider => new PostgresDatabase(
            provider.GetRequiredService<IOptions<GatewayStorageOptions>>().Value.ConnectionString!,
            provider.GetRequiredService<ILogger<PostgresDatabase>>()));
        services.AddOptions<KeyManagementOptions>().Configure<PostgresDatabase, ILoggerFactory>((keys, database, loggerFactory) =>
            keys.XmlRepository = new PostgresXmlRepository(database, loggerFactory.CreateLogger<PostgresXmlRepository>()));
        services.TryAddSingleton(provider => new PostgresGatewayStore(
            provider.GetRequiredService<PostgresDatabase>(),
            provider.GetRequiredService<IDataProtectionProvider>(),
            provider.GetRequiredService<ILogger<PostgresGatewayStore>>()));
        services.TryAddSingleton<IPoolStore>(provider => provider.GetRequiredService<PostgresGatewayStore>());
        services.TryAddSingleton<ISessionStore>(provider => provider.GetRequiredService<PostgresGatewayStore>());
        services.TryAddSingleton<IEventLog>(provider => provider.GetRequiredService<PostgresGatewayStore>());
        services.TryAddSingleton<IOutbox>(provider => provider.GetRequiredService<PostgresGatewayStore>());
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
