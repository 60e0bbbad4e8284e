using Microsoft.Extensions.Options;

namespace Gateway.Api.Persistence;

/// <summary>
/// The gateway's storage, section <c>Gateway:Storage</c>: one SQLite file (default) or one PostgreSQL database
/// (<see cref="Provider"/>) holding the session definitions (credentials encrypted with ASP.NET Core Data Protection),
/// the per-session event journal and the outbox (payloads sealed with AES-GCM under a store key that Data Protection
/// wraps). Validated at start-up.
/// </summary>
/// <remarks>
/// <para>
/// The Data Protection key ring lives in <see cref="KeysPath"/>. Keep it with the database (back them up together):
/// without the keys, stored sessions cannot be decrypted and are skipped at start-up, and no stored event or outbox
/// stanza can be read.
/// </para>
/// <para>
/// On Linux and in containers the key files themselves are <b>not</b> encrypted at rest: anyone who can read both
/// <see cref="KeysPath"/> and the database can decrypt the stored passwords. The gateway creates both with owner-only
/// permissions (0700 directories, 0600 database). To encrypt the keys as well, set
/// <see cref="GatewayDataProtectionOptions.CertificatePath"/> to a certificate kept outside these directories (a mounted
/// secret); outside Development the gateway does not start without it unless
/// <see cref="GatewayDataProtectionOptions.AllowUnprotectedKeys"/> is set.
/// </para>
/// <para>One gateway process per database file: the store assumes it is the only writer. Several gateway nodes share
/// one PostgreSQL database instead (<see cref="Provider"/>, docs/storage.md).</para>
/// </remarks>
public sealed class GatewayStorageOptions
{
    public const string Section = "Gateway:Storage";

    /// <summary>
    /// Where the store lives: <see cref="GatewayStorageProvider.Sqlite"/> (default), a file of this process
    /// (<see cref="Path"/>, key ring in <see cref="KeysPath"/>), or <see cref="GatewayStorageProvider.Postgres"/>, a
    /// PostgreSQL database (<see cref="ConnectionString"/>) that several gateway nodes share, key ring included.
    /// </summary>
    public GatewayStorageProvider Provider { get; set; } = GatewayStorageProvider.Sqlite;

    /// <summary>
    /// The Npgsql connection string of the PostgreSQL database (required with <see cref="GatewayStorageProvider.Postgres"/>,
    /// ignored otherwise), e.g. <c>Host=db;Database=gateway;Username=gateway;Password=…</c>. Holds a password: set it from
    /// an environment variable or a secret store; it is never logged.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>The SQLite database file; relative paths are under the app's content root. Default <c>gateway.db</c>.</summary>
    public string Path { get; set; } = "gateway.db";

    /// <summary>
    /// The directory of the Data Protection key ring; relative paths are under the content root. Default: <c>keys</c>
    /// beside the database file.
    /// </summary>
    public string? KeysPath { get; set; }

    /// <summary>Events kept per session for replay (1 to 100,000,000); older ones are dropped by the periodic trim. Default 10000.</summary>
    public int EventRetentionCount { get; set; } = 10_000;

    /// <summary>Events older than this (1 minute to 3650 days) are dropped by the periodic trim. Default 7 days.</summary>
    public TimeSpan EventRetentionAge { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Stored bytes of events kept per session (64 KiB to 1 TiB); the oldest beyond it are dropped by the periodic trim,
    /// the newest event always kept. Bounds the journal of a session that receives large stanzas, where
    /// <see cref="EventRetentionCount"/> alone allows up to count × the largest stanza. Default 64 MiB.
    /// </summary>
    public long EventRetentionBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>How often retention is applied (1 second to 1 day). Default 5 minutes.</summary>
    public TimeSpan TrimInterval { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// Checks <see cref="GatewayStorageOptions"/> at start-up. Written by hand rather than with <c>[Range]</c> and
/// <c>[OptionsValidator]</c>: the generated validator ignores <c>ErrorMessage</c>, and messages must name the setting.
/// </summary>
internal sealed class GatewayStorageOptionsValidator : IValidateOptions<GatewayStorageOptions>
{
    private static readonly TimeSpan MinRetentionAge = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan MaxRetentionAge = TimeSpan.FromDays(3650);
    private static readonly TimeSpan MinTrimInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxTrimInterval = TimeSpan.FromDays(1);

    public ValidateOptionsResult Validate(string? name, GatewayStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string Section = GatewayStorageOptions.Section;
        var failures = new List<string>();
        if (options.EventRetentionCount is < 1 or > 100_000_000)
        {
            failures.Add($"{Section}:EventRetentionCount must be between 1 and 100000000 events per session (currently {options.EventRetentionCount}).");
        }

        if (options.EventRetentionAge < MinRetentionAge || options.EventRetentionAge > MaxRetentionAge)
        {
            failures.Add($"{Section}:EventRetentionAge must be between {MinRetentionAge} and {MaxRetentionAge} (currently {options.EventRetentionAge}).");
        }

        if (options.EventRetentionBytes is < 64 * 1024 or > 1L << 40)
        {
            failures.Add($"{Section}:EventRetentionBytes must be between 65536 (64 KiB) and 1099511627776 (1 TiB) bytes per session (currently {options.EventRetentionBytes}).");
        }

        if (options.TrimInterval < MinTrimInterval || options.TrimInterval > MaxTrimInterval)
        {
            failures.Add($"{Section}:TrimInterval must be between {MinTrimInterval} and {MaxTrimInterval} (currently {options.TrimInterval}).");
        }

        if (options.Provider == GatewayStorageProvider.Postgres)
        {
            ValidatePostgres(options, failures);
        }
        else if (options.Provider != GatewayStorageProvider.Sqlite)
        {
            failures.Add($"{Section}:Provider must be Sqlite or Postgres (currently {(int)options.Provider}).");
        }

        if (string.IsNullOrWhiteSpace(options.Path))
        {
            failures.Add($"{Section}:Path must name the database file (default gateway.db under the content root).");
        }
        else if (Directory.Exists(options.Path))
        {
            failures.Add($"{Section}:Path '{options.Path}' is a directory; it must name the database file, e.g. {System.IO.Path.Combine(options.Path, "gateway.db")}.");
        }

        if (!string.IsNullOrWhiteSpace(options.KeysPath) && File.Exists(options.KeysPath))
        {
            failures.Add($"{Section}:KeysPath '{options.KeysPath}' is a file; it must name the directory of the Data Protection key ring.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>The connection string parses and names a host; messages never quote it (it holds the password).</summary>
    private static void ValidatePostgres(GatewayStorageOptions options, List<string> failures)
    {
        const string Setting = GatewayStorageOptions.Section + ":ConnectionString";
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            failures.Add($"{Setting} is required with {GatewayStorageOptions.Section}:Provider=Postgres, e.g. Host=db;Database=gateway;Username=gateway;Password=… (from an environment variable or a secret store).");
            return;
        }

        Npgsql.NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new Npgsql.NpgsqlConnectionStringBuilder(options.ConnectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException)
        {
            failures.Add($"{Setting} is not a valid Npgsql connection string ({ex.GetType().Name}); its value is not shown, it may hold a password.");
            return;
        }

        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            failures.Add($"{Setting} must name the server (Host=…).");
        }

        if (string.IsNullOrWhiteSpace(builder.Username))
        {
            failures.Add($"{Setting} must name the user (Username=…).");
        }
    }
}

/// <summary>Where <see cref="GatewayStorageOptions"/> keeps the store (<c>Gateway:Storage:Provider</c>).</summary>
public enum GatewayStorageProvider
{
    /// <summary>One SQLite file of this process (the default).</summary>
    Sqlite,

    /// <summary>A PostgreSQL database that several gateway nodes share.</summary>
    Postgres,
}
