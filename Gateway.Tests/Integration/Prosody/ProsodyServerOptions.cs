namespace Gateway.Tests.Integration.Prosody;

/// <summary>How <see cref="ProsodyServer.StartAsync"/> configures a private Prosody instance.</summary>
public sealed record ProsodyServerOptions
{
    /// <summary>The virtual host (XMPP domain). The MUC component is <c>conference.</c> + this.</summary>
    public string Domain { get; init; } = "localhost";

    /// <summary>
    /// The name the generated self-signed certificate is issued for (CN and DNS SANs <c>name</c> and
    /// <c>conference.name</c>). Defaults to <see cref="Domain"/>; set it to something else
    /// (e.g. <c>wrong.example</c>) to get a server whose certificate does not match its domain.
    /// </summary>
    public string? CertificateName { get; init; }

    /// <summary>Prosody log level written to <see cref="ProsodyServer.LogPath"/>: debug, info, warn or error.</summary>
    /// <remarks>debug logs every stanza: good for diagnosing a failure, measurable under load tests.</remarks>
    public string LogLevel { get; init; } = "debug";

    /// <summary>
    /// Keep Prosody's data (accounts, archive, offline messages) in SQLite (mod_storage_sql, Debian lua-dbi-sqlite3)
    /// instead of flat files. The file store scans the whole archive on every MAM query, which a load test with
    /// thousands of messages and repeated catch-ups turns quadratic.
    /// </summary>
    public bool SqlStorage { get; init; }

    /// <summary>
    /// A deliberately plaintext loopback instance (load tests): mod_tls is not loaded, so STARTTLS is not offered,
    /// encryption is not required and SASL PLAIN is allowed without TLS. The direct TLS port still works. Off by default.
    /// </summary>
    public bool PlaintextC2s { get; init; }

    /// <summary>
    /// The account store: <c>internal_hashed</c> (default, Prosody's own default: SCRAM keys stored, no PBKDF2 at login)
    /// or <c>internal_plain</c> (passwords stored: Prosody derives the SCRAM keys with a new salt at every login). For
    /// both, <see cref="ProsodyServer.CreateAccountsAsync"/> writes the account files directly instead of forking prosodyctl.
    /// </summary>
    public string Authentication { get; init; } = "internal_hashed";

    /// <summary>Modules loaded in addition to the default set (e.g. <c>http</c>, <c>rest</c>).</summary>
    public IReadOnlyList<string> ExtraModules { get; init; } = [];

    /// <summary>Modules of the default set not to load (e.g. <c>mam</c>, whose file store has a per-user quota).</summary>
    public IReadOnlyList<string> DisabledModules { get; init; } = [];

    /// <summary>Extra directories Prosody loads modules from (<c>plugin_paths</c>), e.g. a community module's folder.</summary>
    public IReadOnlyList<string> PluginPaths { get; init; } = [];

    /// <summary>
    /// Listen for HTTP on a free loopback port (<see cref="ProsodyServer.HttpPort"/>), with
    /// <c>http_default_host</c> set to <see cref="Domain"/> so requests to 127.0.0.1 reach the virtual host.
    /// Needs an HTTP module in <see cref="ExtraModules"/>. Off by default.
    /// </summary>
    public bool EnableHttp { get; init; }

    /// <summary>
    /// With <see cref="EnableHttp"/>, the largest file the upload component (<c>upload.</c> + <see cref="Domain"/>,
    /// mod_http_file_share, XEP-0363) takes: its <c>http_file_share_size_limit</c>.
    /// </summary>
    public long HttpFileShareSizeLimit { get; init; } = 1024 * 1024;

    /// <summary>Extra global settings, each one line of Lua (e.g. <c>rest_auth_mechanisms = { "Basic" }</c>).</summary>
    public IReadOnlyList<string> ExtraSettings { get; init; } = [];

    /// <summary>How long the server may take to answer a stream header on its c2s port.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a SIGTERM may take before <see cref="ProsodyServer.StopAsync"/> kills the process.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
