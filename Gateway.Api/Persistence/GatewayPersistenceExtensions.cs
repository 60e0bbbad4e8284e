using Gateway.Api.Persistence.Postgres;
using Gateway.Api.Persistence.Sqlite;
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

        // Both stores are registered and the one Gateway:Storage:Provider names is resolved: the provider is read from
        // the bound options (which see every configuration source, a test host's too), never at registration.
        services.AddOptions<KeyManagementOptions>().Configure<IServiceProvider>((keys, provider) =>
            keys.XmlRepository = IsPostgres(provider)
                ? new PostgresXmlRepository(provider.GetRequiredService<PostgresDatabase>(), provider.GetRequiredService<ILogger<PostgresXmlRepository>>())
                : new FileSystemXmlRepository(
                    new DirectoryInfo(SqliteDatabase.CreateOwnerOnlyDirectory(provider.GetRequiredService<IOptions<GatewayStorageOptions>>().Value.KeysPath!)),
                    provider.GetRequiredService<ILoggerFactory>()));
        AddSqliteStore(services);
        AddPostgresStore(services);
        services.TryAddSingleton<IPoolStore>(provider => IsPostgres(provider) ? provider.GetRequiredService<PostgresGatewayStore>() : provider.GetRequiredService<SqliteGatewayStore>());
        services.TryAddSingleton<ISessionStore>(provider => provider.GetRequiredService<IPoolStore>());
        services.TryAddSingleton<IEventLog>(provider => provider.GetRequiredService<IPoolStore>());
        services.TryAddSingleton<IOutbox>(provider => provider.GetRequiredService<IPoolStore>());
        services.AddHostedService<EventLogTrimService>();
        return services;
    }

    /// <summary>Whether the bound options select PostgreSQL (<see cref="GatewayStorageOptions.Provider"/>).</summary>
    internal static bool IsPostgres(IServiceProvider provider) =>
        provider.GetRequiredService<IOptions<GatewayStorageOptions>>().Value.Provider == GatewayStorageProvider.Postgres;

    /// <summary>The SQLite file of this process (its key ring in <see cref="GatewayStorageOptions.KeysPath"/>); created only when resolved.</summary>
    private static void AddSqliteStore(IServiceCollection services) =>
        services.TryAddSingleton(provider => new SqliteGatewayStore(
            provider.GetRequiredService<IOptions<GatewayStorageOptions>>().Value,
            provider.GetRequiredService<IDataProtectionProvider>(),
            provider.GetRequiredService<ILogger<SqliteGatewayStore>>()));

    /// <summary>
    /// The PostgreSQL database (<see cref="GatewayStorageOptions.ConnectionString"/>) that every node shares, key ring
    /// included (<see cref="PostgresXmlRepository"/>), so every node reads what another sealed; created only when resolved.
    /// </summary>
    private static void AddPostgresStore(IServiceCollection services)
    {
        services.TryAddSingleton(provider => new PostgresDatabase(
            provider.GetRequiredService<IOptions<GatewayStorageOptions>>().Value.ConnectionString!,
            provider.GetRequiredService<ILogger<PostgresDatabase>>()));
        services.TryAddSingleton(provider => new PostgresGatewayStore(
            provider.GetRequiredService<PostgresDatabase>(),
            provider.GetRequiredService<IDataProtectionProvider>(),
            provider.GetRequiredService<ILogger<PostgresGatewayStore>>()));
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
